"""A step that runs out of time or retries fails the workflow with a typed StepTimedOut.

The real steps have a 10-minute budget; this drives the same `_local_step` helper (which
types its own failures: a hung local step's timeout reaches it wrapped in ActivityError)
and, for normal activities, the same translation RegenerateClipWorkflow.run uses
(`typed_step_failure`), with a one-second budget on the real dev server.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, Worker

from workflows import error_types
from workflows.step_failures import step_name, typed_step_failure
from workflows.step_options import SHORT_RETRY as _SHORT_RETRY
from workflows.step_options import attempts_within
from workflows.steps import local_step as _local_step

BUDGET = timedelta(seconds=1)


@activity.defn
async def load_clip_context(_: str) -> str:  # named as the real step, so the error names it
    await asyncio.sleep(30)
    return "never"


@activity.defn
async def persist_clip_version(_: str) -> str:
    raise ApplicationError("Postgres could not be reached. Retrying.",
                           type=error_types.DATABASE_UNAVAILABLE)


@activity.defn
async def store_generated_video(_: str) -> str:
    await asyncio.sleep(2.5)  # outlasts the 1 s workflow task: heartbeated, then completes
    return "stored"


@workflow.defn(sandboxed=False)
class StepBudgetWorkflow:
    @workflow.run
    async def run(self, how: str) -> str:
        if how == "local-slow":
            return await _local_step(store_generated_video, "x", summary="store video",
                                     timeout=timedelta(seconds=10), budget=timedelta(seconds=30))
        step = load_clip_context if how.endswith("hangs") else persist_clip_version
        if how.startswith("local"):  # typed by the step itself: callers catch no ActivityError
            return await _local_step(step, "x", summary=step_name(step.__name__),
                                     timeout=timedelta(milliseconds=300), budget=BUDGET)
        try:
            return await workflow.execute_activity(
                step, "x", start_to_close_timeout=timedelta(milliseconds=300),
                schedule_to_close_timeout=BUDGET,
                retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200)),
            )
        except ActivityError as err:  # as RegenerateClipWorkflow.run does
            typed = typed_step_failure(err)
            if typed is None:
                raise
            raise typed from err


@pytest.mark.parametrize(
    ("how", "step", "last"),
    [
        ("local-hangs", "load context", None),
        ("local-fails", "persist version", error_types.DATABASE_UNAVAILABLE),
        ("remote-hangs", "load context", None),
        ("remote-fails", "persist version", error_types.DATABASE_UNAVAILABLE),
    ],
)
async def test_a_step_out_of_time_or_retries_is_step_timed_out(
    temporal_client, how: str, step: str, last: str | None
) -> None:
    queue = f"step-budget-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=queue, workflows=[StepBudgetWorkflow],
                      activities=[load_clip_context, persist_clip_version, store_generated_video],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        with pytest.raises(WorkflowFailureError) as failure:
            await temporal_client.execute_workflow(
                StepBudgetWorkflow.run, how, id=f"{queue}-{how}", task_queue=queue,
                execution_timeout=timedelta(seconds=30),
                # A local activity's worker heartbeats its workflow task at 80% of this; only
                # then does the server learn of the budget timer. Short here, 10 s in production.
                task_timeout=timedelta(seconds=1),
            )
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == error_types.STEP_TIMED_OUT and cause.non_retryable
    assert f"'{step}' step ran out of" in cause.message and "start the regeneration again" in cause.message
    if last is not None and how.startswith("remote"):  # the last fault, when the server knows it
        assert last in cause.message
    assert cause.details[0]["step"] == step


async def test_a_step_that_outlasts_its_workflow_task_replays_elsewhere(temporal_client) -> None:
    """The budget issues no command: a history where a step outlived its workflow task
    replays on a fresh worker, where the step resolves from its marker at once."""
    queue = f"step-budget-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=queue, workflows=[StepBudgetWorkflow],
                      activities=[store_generated_video],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        handle = await temporal_client.start_workflow(
            StepBudgetWorkflow.run, "local-slow", id=f"{queue}-slow", task_queue=queue,
            execution_timeout=timedelta(seconds=30), task_timeout=timedelta(seconds=1),
        )
        assert await handle.result() == "stored"
    history = await handle.fetch_history()
    heartbeats = [e for e in history.events if e.HasField("workflow_task_completed_event_attributes")]
    assert len(heartbeats) >= 2  # the step did outlast a workflow task
    await Replayer(workflows=[StepBudgetWorkflow],
                   workflow_runner=UnsandboxedWorkflowRunner()).replay_workflow(history)


@pytest.mark.parametrize(
    ("budget", "timeout", "attempts"),
    [(600, 30, 15), (600, 90, 7), (1, 0.3, 1), (5, 0.3, 3)],
)
def test_the_budget_is_the_attempts_that_start_within_it(budget, timeout, attempts) -> None:
    assert attempts_within(
        timedelta(seconds=budget), timedelta(seconds=timeout), _SHORT_RETRY
    ) == attempts
