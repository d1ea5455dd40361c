"""Recorded histories, loaded as the replay and drift tests need them.

tests/histories/*.json are recorded by `python tests/record_histories.py` with today's
code. tests/histories/before_policy_version/ keeps older recordings (made before
POLICY_VERSION existed, some before patches): replayed so each patch's old path stays
covered, but their plans were made by earlier rules, so the drift test skips them.
tests/histories/before_money_safety/ keeps a few recorded before issue 13's patches
(reset-proof regeneration id, late collection), so their old paths stay covered too.
tests/histories/before_chatbot/ keeps the batch recordings made before the
`batch-busy-at-planning` patch (issue 31), so a batch without it stays covered.
tests/histories/policy_1/ keeps eight recorded under POLICY_VERSION 1 (before the
rules for what a rewrite cannot promise): today's code must still replay a run planned
by the rules before it. tests/histories/policy_2/ keeps eight recorded under POLICY_VERSION 2
(before session 7's rules: sound, format, versions, settings kept out of the prompt, a
complaint resolved), for the same reason. tests/histories/policy_3/ keeps eight recorded
under POLICY_VERSION 3 (before chat was kept out of the prompt, session 8).
tests/histories/policy_4/ keeps eight recorded under POLICY_VERSION 4 (before "make his
shirt purple and blue" on a prompt without a shirt read 'shirt purple and' as the thing,
session 9).
tests/histories/policy_5/ keeps eight recorded under POLICY_VERSION 5 (before "a blue
jacket and red hat" stopped being located as one phrase, session 9).
tests/histories/policy_6/ keeps eight recorded under POLICY_VERSION 6 (before "A woman
holding red roses" and "a red sports car" were located whole, session 10).
"""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.client import WorkflowHistory

HISTORIES_DIR = Path(__file__).resolve().parents[1] / "histories"
HISTORIES = sorted(HISTORIES_DIR.rglob("*.json"))


def recorded_history(path: Path) -> WorkflowHistory:
    """The history under the workflow id it ran with (the workflow checks its own id)."""
    events = json.loads(path.read_text())
    started = events["events"][0]["workflowExecutionStartedEventAttributes"]
    return WorkflowHistory.from_json(started.get("workflowId", path.stem), events)


def workflow_type(path: Path) -> str:
    """The recorded run's workflow type (RegenerateClipWorkflow, RevertClipWorkflow, ...)."""
    events = json.loads(path.read_text())
    return events["events"][0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"]
