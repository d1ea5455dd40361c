"""NotifyWorkflow: deliver one push to a caller's notify_url, retried, on its own.

A regeneration starts it as a child with ParentClosePolicy.ABANDON and does not wait:
a slow or dead receiver never delays a regeneration, and the retries outlive it. The
activity refuses a URL the workers do not allow (NotifyRefused) without retrying.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import conventions
from workflows.notify_models import Notification

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
