"""Minimal reproduction, no Retake code: a patch first decided after a local activity
does not replay when a query rode on the workflow task that ran the local activity.

What happens (temporalio 1.35): a query is waiting when a worker picks up the run's first
workflow task. The local activity finishes while that task is open; with a query answer
pending, the SDK's core completes the task and forces a new one, so the activity's marker
lands in task 1 while the workflow code sees its result (and calls `patched("second")`,
recording that marker) only in task 2. On replay the local activity resolves inside task 1,
where `patched("second")` sees only task 1's markers, returns False, and the replay then
fails on task 2's marker ("Non-deprecated patch marker encountered ...").

Deciding every patch before the first local activity (`decide_first=True`) avoids it.
Run it: `python -m tests.sdk_repro.split_task_patch` (starts its own dev server), or
through tests/test_sdk_split_task_repro.py, which re-checks it on each temporalio upgrade.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Replayer, Worker


@activity.defn
async def quick_step() -> str:
    await asyncio.sleep(0.05)
    return "done"


@workflow.defn
class PatchAfterLocalActivity:
    def __init__(self) -> None:
        self._stage = "starting"

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.run
    async def run(self, decide_first: bool) -> str:
        if decide_first:
            workflow.patched("second")  # memoized: the later call reuses this decision
        workflow.patched("first")
        await workflow.execute_local_activity(
            quick_step, start_to_close_timeout=timedelta(seconds=10)
        )
        self._stage = "after the local activity"
        new_path = workflow.patched("second")
        await workflow.sleep(0.2)
        return "new" if new_path else "old"


async def _query_until_done(client: Client, workflow_id: str, done: asyncio.Event) -> None:
    handle = client.get_workflow_handle(workflow_id)
    while not done.is_set():
        try:
            await handle.query(PatchAfterLocalActivity.stage)
        except Exception:  # noqa: BLE001 - a query racing the run's end; keep asking
            pass
        await asyncio.sleep(0.02)


async def replay_failures(client: Client, *, runs: int, decide_first: bool) -> tuple[int, int]:
    """(runs whose history failed to replay, runs), with queries waiting from the start."""
    queue = f"split-task-{uuid.uuid4().hex[:8]}"
    ids = [f"{queue}-{i}" for i in range(runs)]
    for workflow_id in ids:
        await client.start_workflow(
            PatchAfterLocalActivity.run, decide_first, id=workflow_id, task_queue=queue
        )
    done = asyncio.Event()
    askers = [asyncio.create_task(_query_until_done(client, i, done)) for i in ids]
    await asyncio.sleep(0.5)  # the queries are waiting before any worker polls
    async with Worker(
        client, task_queue=queue, workflows=[PatchAfterLocalActivity], activities=[quick_step]
    ):
        await asyncio.gather(*(client.get_workflow_handle(i).result() for i in ids))
    done.set()
    await asyncio.gather(*askers)
    replayer = Replayer(workflows=[PatchAfterLocalActivity])
    failed = 0
    for workflow_id in ids:
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        failed += result.replay_failure is not None
    return failed, runs


async def _main() -> None:
    from temporalio.testing import WorkflowEnvironment

    env = await WorkflowEnvironment.start_local(dev_server_log_level="error")
    try:
        for decide_first in (False, True):
            failed, runs = await replay_failures(env.client, runs=40, decide_first=decide_first)
            print(f"decide_first={decide_first}: {failed} of {runs} histories fail to replay")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(_main())
