"""How long the dev server takes to hand a task to a waiting worker, with no Retake code.

A workflow runs three instant activities on another task queue, as Retake's submit, wait
and store do. Runs back to back (each starting as the previous one ends), then with a
quiet pause before each: the median time from each task being scheduled to a worker
starting it (activity tasks and the workflow tasks after them), from the histories.

    .venv/bin/python benchmarks/dispatch_stall.py [--runs 10 --quiet 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from retake.embedded import start_dev_server  # noqa: E402

SCHEDULED_TO_STARTED = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
}


@activity.defn
async def instant(step: int) -> int:
    return step


@workflow.defn
class ThreeSteps:
    @workflow.run
    async def run(self, queue: str) -> int:
        total = 0
        for step in range(3):
            total += await workflow.execute_activity(
                instant, step, task_queue=queue, start_to_close_timeout=timedelta(seconds=10))
        return total


def dispatch_ms(events) -> list[float]:
    """Scheduled -> started, for every task after the first workflow task."""
    waits, pending = [], {}
    for e in events:
        if e.event_type in SCHEDULED_TO_STARTED:
            pending[SCHEDULED_TO_STARTED[e.event_type]] = e.event_time.ToDatetime()
        elif e.event_type in pending:
            waits.append((e.event_time.ToDatetime() - pending.pop(e.event_type)).total_seconds())
    return [1000 * w for w in waits[1:]]


async def measure(runs: int, quiet: float) -> dict[str, list[float]]:
    env = await start_dev_server(ui=False)
    try:
        client = env.client
        queue = f"stall-{uuid.uuid4().hex[:6]}"
        # Unsandboxed: this module is run as __main__; the workflow does no I/O.
        async with Worker(client, task_queue=queue, workflows=[ThreeSteps],
                          workflow_runner=UnsandboxedWorkflowRunner()), \
                Worker(client, task_queue=queue + "-steps", activities=[instant]):
            figures = {}
            for name, pause in (("back to back", 0.0), (f"after {quiet:g} s quiet", quiet)):
                waits = []
                for _ in range(runs + 2):
                    await asyncio.sleep(pause)
                    handle = await client.start_workflow(
                        ThreeSteps.run, queue + "-steps", id=f"stall-{uuid.uuid4()}",
                        task_queue=queue)
                    await handle.result()
                    waits.append(dispatch_ms((await handle.fetch_history()).events))
                figures[name] = [w for run in waits[2:] for w in run]  # after two warm-ups
            return figures
    finally:
        await env.shutdown()


def run(runs: int = 10, quiet: float = 0.5) -> str:
    figures = asyncio.run(measure(runs, quiet))
    rows = [f"| {name} | {statistics.median(w):.1f} ms | {max(w):.1f} ms | {len(w)} |"
            for name, w in figures.items()]
    return "\n".join([
        "## Dispatch on the dev server: back to back vs after a quiet moment",
        "",
        f"A workflow of three instant activities on another task queue, {runs} runs each way; "
        "time from a task being scheduled to a worker starting it (activity tasks and the "
        "workflow tasks after them), from the histories.",
        "",
        "| runs | median | max | tasks |",
        "|---|---|---|---|",
        *rows,
        "",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quiet", type=float, default=0.5)
    a = parser.parse_args()
    print(run(a.runs, a.quiet))
