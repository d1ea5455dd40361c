"""Plan-drift guard: today's policy must plan every recorded run exactly as it was planned.

Replay tests catch a changed sequence of commands; they cannot see a changed plan (a
template's temperature, a seed that flips from fresh to reused). This replays each
recorded history with today's code, captures what it would submit and return, and
compares it with the history (tests/support/plan_drift.py). A failure says what to do:
bump POLICY_VERSION and re-record (`python tests/record_histories.py`), or guard the
change with `workflow.patched`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.histories import HISTORIES_DIR, recorded_history, workflow_type
from tests.support.plan_drift import plan_drift, recorded_run
from tests.support.policy_b_worker import policy_b_templates
from workflows.decisions import POLICY_VERSION, policy_version, templates

# Recorded with today's code; tests/histories/before_policy_version/ holds older ones,
# replayed by test_workflow_replay.py but planned by earlier rules. Only regenerations of
# one clip submit to Veo; batch, revert and version-listing runs are replayed, not planned.
RECORDED = sorted(p for p in HISTORIES_DIR.glob("*.json")
                  if workflow_type(p) == "RegenerateClipWorkflow")
DRY_RUN = HISTORIES_DIR / "dry_run.json"  # "make it brighter", clip 0


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
async def test_todays_policy_plans_each_recorded_run_as_recorded(path: Path):
    assert await plan_drift(path) is None


@pytest.mark.parametrize("path", RECORDED, ids=lambda p: p.stem)
def test_each_recorded_plan_names_its_policy_version(path: Path):
    run = recorded_run(recorded_history(path))
    assert not run.planned or run.policy_version == POLICY_VERSION, (
        f"{path.stem} was recorded with policy version {run.policy_version}, the code is at "
        f"{POLICY_VERSION}: re-record with `python tests/record_histories.py`."
    )


async def test_a_policy_change_without_a_version_bump_fails_and_says_what_to_do(monkeypatch):
    # Policy B moves 'brighter' from 0.65 to 0.45: no replay error, but a different plan.
    monkeypatch.setattr(templates, "TEMPLATES", policy_b_templates())
    report = await plan_drift(DRY_RUN)
    assert "result temperature: 0.65 -> 0.45" in report
    assert "result seed_reused: False -> True" in report
    assert "bump POLICY_VERSION" in report and "workflow.patched" in report


async def test_a_bumped_policy_version_asks_to_re_record(monkeypatch):
    monkeypatch.setattr(templates, "TEMPLATES", policy_b_templates())
    monkeypatch.setattr(policy_version, "POLICY_VERSION", POLICY_VERSION + 1)
    report = await plan_drift(DRY_RUN)
    assert f"result policy_version: {POLICY_VERSION} -> {POLICY_VERSION + 1}" in report
    assert "re-record them with\n`python tests/record_histories.py`" in report


async def test_a_template_that_stops_matching_is_reported_with_what_to_do(monkeypatch):
    # Without the nighttime template the run would ask the planner: a different command.
    monkeypatch.setattr(
        templates, "TEMPLATES", tuple(t for t in templates.TEMPLATES if t.id != "nighttime")
    )
    report = await plan_drift(HISTORIES_DIR / "template.json")  # "make it nighttime"
    assert "cannot replay this run" in report and "bump POLICY_VERSION" in report
