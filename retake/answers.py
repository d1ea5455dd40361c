"""Typed answers for calls a run can no longer answer itself, built by the client.

The server refuses an Update on a closed run with a bare RPCError ("workflow execution
already completed"), and a second start on a busy clip with WorkflowAlreadyStartedError.
A chatbot needs to know what happened instead, so retake.client reads it (describe,
result, the `proposal` query) and raises one of these. Each has `type` (a name from
workflows/error_types.py, as the workflow's own errors do) and a message that says what
to tell the user or do next.
"""

from __future__ import annotations

from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from workflows import error_types
from workflows.models import PlanProposal, Progress, RegenerateClipResult


class RunEndedAnswer(Exception):
    """A call on a regeneration that has ended; `type` says how it ended."""

    type: str = error_types.RUN_ENDED

    def __init__(self, message: str, result: RegenerateClipResult | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


class PlanExpired(RunEndedAnswer):
    type = error_types.PLAN_EXPIRED


class PlanCancelled(RunEndedAnswer):
    type = error_types.PLAN_CANCELLED


class AlreadyCompleted(RunEndedAnswer):
    type = error_types.ALREADY_COMPLETED


class ClipBusy(WorkflowAlreadyStartedError):
    """A plan or regeneration asked for a clip that has one: `pending` is its plan (None
    when it is not waiting for a confirmation), `progress` where it is."""

    type = error_types.CLIP_BUSY

    def __init__(self, workflow_id: str, pending: PlanProposal | None,
                 progress: Progress | None) -> None:
        super().__init__(workflow_id, "RegenerateClipWorkflow")
        self.pending = pending
        self.progress = progress
        if pending is not None:
            self._answer = (
                f"Clip {pending.clip_index} already has a plan waiting for the user "
                f"(revision {pending.revision}: {pending.plan.summary or pending.plan.prompt}). "
                "Confirm, revise or cancel that plan instead of planning again."
            )
        else:
            stage = progress.stage if progress else "running"
            self._answer = (
                f"Workflow {workflow_id} is already regenerating this clip (stage: {stage}). "
                "Wait for it to finish, then plan again."
            )
        self.args = (self._answer,)

    @property
    def message(self) -> str:
        """What to tell the user or do next."""
        return self._answer

    def __str__(self) -> str:
        return self._answer


async def ended_answer(handle: WorkflowHandle, call: str) -> RunEndedAnswer | None:
    """What to answer `call` on a run that has ended, or None while it is still open."""
    status = (await handle.describe()).status
    if status == WorkflowExecutionStatus.RUNNING:
        return None
    if status == WorkflowExecutionStatus.CANCELED:
        return PlanCancelled(f"Cannot {call}: the plan was cancelled; nothing was paid.")
    try:
        result = await handle.result(follow_runs=False)
    except WorkflowFailureError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError) and cause.type == error_types.PLAN_EXPIRED:
            return PlanExpired(f"Cannot {call}: {cause.message} (the plan expired).")
        why = cause.message if cause is not None else str(err)
        return RunEndedAnswer(f"Cannot {call}: the regeneration ended without a new "
                              f"version: {why}")
    if not isinstance(result, RegenerateClipResult):
        result = RegenerateClipResult.model_validate(result)
    if result.status == "cancelled":
        return PlanCancelled(f"Cannot {call}: the plan was cancelled; nothing was paid.",
                             result)
    if result.status == "planned":
        return AlreadyCompleted(f"Cannot {call}: this was a dry run; it planned and ended "
                                "without generating. Plan again to generate.", result)
    return AlreadyCompleted(
        f"Cannot {call}: the regeneration already completed (version {result.version} of "
        f"clip {result.clip_index} is current).", result)
