"""An operator's reset of a run, as `temporal workflow reset` does it, for the tests that
check a reset pays nothing twice and starts nothing twice."""

from __future__ import annotations

from uuid import uuid4

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle

from workflows.models import RegenerateClipResult


async def reset_to_first_workflow_task(client: Client, handle: WorkflowHandle) -> WorkflowHandle:
    """Reset the run to its first completed workflow task; a handle on the new run."""
    history = await handle.fetch_history()
    first_task = next(e.event_id for e in history.events
                      if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=handle.id,
                                                 run_id=history.run_id),
            reason="test: operator reset after a bad deploy",
            workflow_task_finish_event_id=first_task,
            request_id=str(uuid4()),
        )
    )
    return client.get_workflow_handle(handle.id, run_id=response.run_id,
                                      result_type=RegenerateClipResult)
