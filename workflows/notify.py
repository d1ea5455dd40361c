"""NotifyWorkflow: deliver one push to a caller's notify_url, retried, on its own.

A regeneration starts it as a child with ParentClosePolicy.ABANDON and does not wait
(`push`, `warn_before_expiry` below): a slow or dead receiver never delays a
regeneration, and the retries outlive it. The activity refuses a URL the workers do not
allow (NotifyRefused) without retrying.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

import workflows.patches as patches
from workflows import conventions
from workflows.notify_models import Notification, NotifyEvent, NotifyEventKind

NOTIFY_RETRIES = RetryPolicy(
    initial_interval=timedelta(milliseconds=100),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=12,  # ~5 minutes of retries, then the push is given up
    non_retryable_error_types=["NotifyRefused"],
)


@workflow.defn(name=conventions.NOTIFY_WORKFLOW_TYPE)
class NotifyWorkflow:
    @workflow.run
    async def run(self, note: Notification) -> int:
        """The receiver's HTTP status once it took the push."""
        return await workflow.execute_activity(
            "send_notification", note, result_type=int,
            start_to_close_timeout=timedelta(seconds=15), retry_policy=NOTIFY_RETRIES,
        )


def expiry_warning_lead(timeout_seconds: float) -> float:
    """How long before a plan expires the `plan_expiring_soon` push goes: a minute, or a
    fifth of a short timeout."""
    return min(60.0, timeout_seconds / 5)


def event(kind: NotifyEventKind, job_id: UUID, clip_index: int, *, key: str = "",
          **fields: object) -> NotifyEvent:
    """An event of the running workflow; its id is stable across resets (first run id)."""
    info = workflow.info()
    event_id = ":".join(filter(None, (info.workflow_id, info.first_execution_run_id, kind, key)))
    return NotifyEvent(event_id=event_id, event=kind, workflow_id=info.workflow_id,
                       job_id=job_id, clip_index=clip_index, occurred_at=workflow.now(),
                       **fields)


async def push(url: str | None, note_event: NotifyEvent) -> None:
    """Start the push and move on: the child is abandoned, never awaited. A push already
    started for this event (a reset run) is not sent again."""
    if not url:
        return
    try:
        await workflow.start_child_workflow(
            NotifyWorkflow.run, Notification(url=url, event=note_event),
            id=conventions.notify_workflow_id(note_event.event_id),
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Push {note_event.event} for {note_event.workflow_id}",
        )
    except WorkflowAlreadyStartedError:
        pass


async def push_end(inp, kind: NotifyEventKind, **fields: object) -> None:
    """A regeneration's completed / failed push, when it asked for pushes (patched)."""
    if inp.options.notify_url and patches.applies(patches.NOTIFY):
        await push(inp.options.notify_url, event(kind, inp.job_id, inp.clip_index, **fields))


async def warn_before_expiry(url: str | None, timeout_seconds: float,
                             still_waiting: Callable[[], bool],
                             make_event: Callable[[], NotifyEvent]) -> None:
    """Run beside the wait for a confirmation: push `plan_expiring_soon` shortly before
    the plan expires, if it is still waiting then."""
    if not url:
        return
    await workflow.sleep(timeout_seconds - expiry_warning_lead(timeout_seconds),
                         summary="warn before the plan expires")
    if still_waiting():
        await push(url, make_event())
