"""Replay recorded histories against today's workflow code: any non-determinism fails.

The histories in tests/histories/ were recorded by tests/record_histories.py from the
end-to-end scenarios (template, LLM, offline, dry run, seed reuse, filtered, cancelled,
references generated at 8 s and trimmed...) and from tests/test_any_client.py (started by
the CLI / a default-converter client, and a refused workflow id). Histories recorded
before a patch replay its old path (those without the `veo-model-catalogue` marker: the
old model check).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from retake.wiring import WORKFLOWS
from tests.support.histories import HISTORIES, recorded_history

EXPECTED = {"template", "llm", "offline", "dry_run", "seed_reused", "filtered_once",
            "filtered_twice", "cancelled",
            # the 'owns-conventions' patch: other clients, and a refused workflow id
            "cli_plain_json", "plain_client", "refused_workflow_id",
            "template_step_budget_timer",  # the patched local-step budget timer (issue 15)
            # the 'veo-model-catalogue' patch: references force 8 s, cut to the slot
            "references_trimmed", "dry_run_references",
            # confirm first (tests/test_workflow_confirm.py)
            "confirm_first", "confirm_revised", "confirm_cancelled", "confirm_expired",
            # versions (tests/test_workflow_versions.py)
            "revert", "revert_missing_version", "list_versions",
            # several clips (tests/test_workflow_batch.py)
            "batch", "batch_cancelled", "batch_expired",
            # issue 13's patches: reset-proof regeneration id, late collection
            "reset_proof_id", "reset_after_completion",
            "deadline_collected_late", "cancelled_collected_late", "collect_late_video",
            "transient_resubmitted",  # issue 12: backend queues + one resubmission
            # issue 17: the store as a streaming activity; a wait paced by next_retry_delay
            "streaming_store", "adaptive_wait",
            # a first workflow task split by a waiting query (tests/test_replay_under_queries.py)
            "split_by_query",
            # issue 31 (tests/test_chatbot_calls.py; batch.json): propose makes a run
            # confirm-first, the cancelled plan is the result, Temporal's cancel of a
            # plan ends it cancelled, busy clips found at batch planning
            "propose_without_confirm_first", "revised_then_cancelled",
            "temporal_cancel_of_a_plan"}


def test_every_path_has_a_recorded_history():
    assert EXPECTED <= {p.stem for p in HISTORIES}


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays_cleanly(path: Path):
    history = recorded_history(path)
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.stem}: {result.replay_failure}"
