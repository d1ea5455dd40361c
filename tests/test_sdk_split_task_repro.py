"""Re-checks, on each temporalio upgrade, the SDK behaviour workflows/patches.py works around.

tests/sdk_repro/split_task_patch.py is the reproduction with no Retake code (fit to report
upstream; `python -m tests.sdk_repro.split_task_patch` runs 40 histories each way). The
split depends on timing (a query must be waiting when the task runs): measured here, 32
of 40 lazy histories failed to replay on a loaded machine, and 0 of 80 in a quiet CI
rehearsal. So the test asserts what must always hold, and reports the SDK's behaviour
without failing on it: a skip says the split was not seen this time.
"""

from __future__ import annotations

import pytest

from tests.sdk_repro.split_task_patch import replay_failures


async def test_lazy_patches_after_a_queried_local_activity_replay_or_the_sdk_still_splits(
    temporal_client,
):
    failed, runs = await replay_failures(temporal_client, runs=20, decide_first=False)
    if failed == 0:
        pytest.skip(f"no split task in {runs} runs this time (timing-dependent); the "
                    "Retake-level check is tests/test_replay_under_queries.py")
    # Seen: the SDK still records the late patch a task after a replay looks for it.
    assert 0 < failed <= runs
