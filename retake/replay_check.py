"""Before a build becomes current: replay every open run's history with this build's code.

A run that does not replay on the new build would hang there for good (and a regeneration
is often already paid), so the deploy runbook (docs/operations.md) runs
`python starter.py replay-check` from the new build first. It lists the open runs, fetches
each history and feeds it to the SDK's Replayer with the workflows this build registers.
"""

from __future__ import annotations

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

OPEN_RUNS = "ExecutionStatus = 'Running'"
MAX_RUNS = 10_000  # a deployment with more open runs checks them by --query, in parts


class NotReplaying(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    error: str


class ReplayReport(BaseModel):
    checked: int
    not_replaying: list[NotReplaying]


async def check_open_runs(
    client: Client, *, query: str = OPEN_RUNS, limit: int = MAX_RUNS
) -> ReplayReport:
    """Replay the histories of the runs `query` lists (open runs by default)."""
    from retake.wiring import WORKFLOWS  # the worker's own registration, activities and all

    known = {w.__name__ for w in WORKFLOWS}  # each is registered under its class name
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    checked, failures = 0, []
    async for run in client.list_workflows(query, limit=limit):
        if run.workflow_type not in known:
            continue
        history = await client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        checked += 1
        if result.replay_failure is not None:
            failures.append(NotReplaying(
                workflow_id=run.id, run_id=run.run_id, workflow_type=run.workflow_type,
                error=str(result.replay_failure)[:500],
            ))
    return ReplayReport(checked=checked, not_replaying=failures)


def render(report: ReplayReport) -> str:
    if not report.not_replaying:
        return f"all {report.checked} open runs replay with this build"
    lines = [f"{len(report.not_replaying)} of {report.checked} open runs do NOT replay with "
             "this build; do not make it current (docs/operations.md, 'A run that does not "
             "replay'):"]
    for run in report.not_replaying:
        lines.append(f"  {run.workflow_id} (run {run.run_id}, {run.workflow_type}): {run.error}")
    return "\n".join(lines)
