"""Re-checks, on each temporalio upgrade, the SDK behaviour workflows/patches.py works around.

tests/sdk_repro/split_task_patch.py is the reproduction with no Retake code (fit to report
upstream; `python -m tests.sdk_repro.split_task_patch` runs 40 histories each way). The
split depends on timing (a query must be waiting when the task runs): measured here, 32
of 40 lazy histories failed to replay on a loaded machine, and 0 of 80 in a quiet CI
rehearsal. So the test asserts what must always hold, and reports the SDK's behaviour
without failing on it: a skip says the split was not seen this time.

It watches the SDK rather than guarding Retake (it cannot fail on Retake's code, and
it took 32 s of the suite's 5 minutes), so it runs when asked, on each temporalio
upgrade: `RETAKE_WATCH_SDK=1 .venv/bin/python -m pytest tests/test_sdk_split_task_repro.py`.
The guard is tests/test_replay_under_queries.py, in every run.
"""

from __future__ import annotations

import os

import pytest

from tests.sdk_repro.split_task_patch import replay_failures


@pytest.mark.skipif(not os.environ.get("RETAKE_WATCH_SDK"),
                    reason="watches the SDK, on each temporalio upgrade: RETAKE_WATCH_SDK=1")
async def test_lazy_patches_after_a_queried_local_activity_replay_or_the_sdk_still_splits(
    temporal_client,
):
    failed, runs = await replay_failures(temporal_client, runs=20, decide_first=False)
    if failed == 0:
        pytest.skip(f"no split task in {runs} runs this time (timing-dependent); the "
                    "Retake-level check is tests/test_replay_under_queries.py")
    # Seen: the SDK still records the late patch a task after a replay looks for it.
    assert 0 < failed <= runs
