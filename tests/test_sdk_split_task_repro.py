"""Re-checks, on each temporalio upgrade, the SDK behaviour workflows/patches.py works around.

tests/sdk_repro/split_task_patch.py is the reproduction with no Retake code (fit to report
upstream). Deciding patches first must always replay; the lazy pattern failing to replay
is the SDK behaviour itself: when that assertion fails after an upgrade, the SDK has
fixed it, and DECIDED_FIRST can be retired through the patch list's path.
"""

from __future__ import annotations

from tests.sdk_repro.split_task_patch import replay_failures


async def test_patches_decided_first_always_replay(temporal_client):
    failed, runs = await replay_failures(temporal_client, runs=10, decide_first=True)
    assert (failed, runs) == (0, 10)


async def test_the_sdk_still_splits_a_queried_task_at_a_local_activity(temporal_client):
    failed = 0
    for _ in range(4):  # the split depends on timing: up to 80 runs to see it once
        failed, _runs = await replay_failures(temporal_client, runs=20, decide_first=False)
        if failed:
            break
    assert failed > 0, (
        "the lazy pattern replayed 80 of 80: has temporalio fixed the split-task patch bug? "
        "Check upstream, then retire patches.DECIDED_FIRST (workflows/patches.py)"
    )
