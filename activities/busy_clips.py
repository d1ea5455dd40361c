"""Which clips already have a regeneration open: asked before a batch plans them, so a
batch plan never counts (or asks the user to pay for) a clip it will not run."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode


@activity.defn
async def open_workflows(workflow_ids: list[str]) -> list[str]:
    """The ids among `workflow_ids` whose latest run is still open (a regeneration, a
    plan waiting for its confirmation, a revert)."""
    client = activity.client()
    running = []
    for workflow_id in workflow_ids:
        try:
            status = (await client.get_workflow_handle(workflow_id).describe()).status
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                continue
            raise
        if status == WorkflowExecutionStatus.RUNNING:
            running.append(workflow_id)
    return running
