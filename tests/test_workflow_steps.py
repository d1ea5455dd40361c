"""The shared step calls (workflows/steps.py) run by a probe workflow on the dev server:
which failure ends a run as which typed error (and what `on_end` and a waiting Update
learn), a local step's error passed on as it is or given up as StepTimedOut, the search
attributes a run owns, and how the wait and the store are scheduled. The activities are
this file's, under the real names, recording their attempts; about 3 s for the file."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import workflows.steps as steps
from tests.reliability.helpers import wait_until
from workflows import conventions, error_types
from workflows.step_models import (
    GenerationState,
    GenerationStatus,
    StoredVideo,
    StoreTarget,
    StoreVideoRequest,
    Submission,
    WaitRequest,
)

ATTEMPTS: dict[str, int] = {}  # what the failing step was given -> attempts it saw


class Fault(BaseModel):
    key: str
    type: str
    non_retryable: bool = False
    hang: bool = False


@activity.defn(name="persist_clip_version")
async def persist_clip_version(fault: Fault) -> str:
    ATTEMPTS[fault.key] = ATTEMPTS.get(fault.key, 0) + 1
    if fault.hang:
        await asyncio.sleep(30)
    raise ApplicationError(f"{fault.type} from the step", type=fault.type,
                           non_retryable=fault.non_retryable)


@activity.defn(name="wait_for_generation")
async def wait_for_generation(req: WaitRequest) -> GenerationStatus:
    return GenerationStatus(operation_name=req.operation_name, state=GenerationState.SUCCEEDED,
                            polls=2)


@activity.defn(name="store_generated_video")
async def store_generated_video(req: StoreVideoRequest) -> StoredVideo:
    return StoredVideo(url=f"file:///{req.regeneration_id}/{req.keep}.mp4", backend=req.backend)


class Probe(BaseModel):
    how: str  # "local", "remote", "raise", "search", "wait", "store"
    fault: Fault | None = None
    queue: str | None = None
    store: bool = False


@workflow.defn(name="StepsProbe", sandboxed=False)
class StepsProbe:
    def __init__(self) -> None:
        self._ended: str | None = None
        self._go = False

    @workflow.run
    async def run(self, probe: Probe) -> str:
        return await steps.run_to_typed_end(self._body(probe), self._end)

    def _end(self, err: BaseException) -> None:
        self._ended = f"{type(err).__name__} {getattr(err, 'type', None)}"

    @workflow.update
    async def go(self) -> str:
        """Lets the body fail, then answers with what `on_end` was told."""
        self._go = True
        await workflow.wait_condition(lambda: self._ended is not None)
        return self._ended

    async def _body(self, probe: Probe) -> str:
        submission = Submission(operation_name="operations/op-1", backend="preview")
        if probe.how == "search":
            steps.own_search_attributes("job-7", 3)
            return "searchable"
        if probe.how == "wait":
            target = StoreTarget(job_id=uuid.uuid4(), clip_index=3, regeneration_id="r/0")
            status = await steps.wait_for_video(
                submission, poll_seconds=0.5, budget=timedelta(minutes=10), queue=probe.queue,
                summary="wait for Veo", store=target if probe.store else None)
            return f"{status.state.value} after {status.polls}"
        if probe.how == "store":
            status = GenerationStatus(operation_name="operations/op-1",
                                      state=GenerationState.SUCCEEDED)
            stored = await steps.store_video(
                submission, status, job_id=uuid.uuid4(), clip_index=3, regeneration_id="r/0",
                delivered_seconds=4.0, queue=probe.queue, summary="store video", keep="end")
            return stored.url
        if probe.how == "local-cancel":  # hangs until the run is cancelled
            return await steps.local_step(persist_clip_version, probe.fault, summary="persist version",
                                          timeout=timedelta(seconds=20), budget=timedelta(seconds=40))
        await workflow.wait_condition(lambda: self._go)
        if probe.how == "raise":
            raise ApplicationError("refused by the workflow itself", type="InvalidInput",
                                   non_retryable=True)
        if probe.how == "local":
            return await steps.local_step(persist_clip_version, probe.fault, summary="persist version",
                                          timeout=timedelta(milliseconds=300),
                                          budget=timedelta(seconds=1))
        return await workflow.execute_activity(
            persist_clip_version, probe.fault, start_to_close_timeout=timedelta(seconds=5),
            schedule_to_close_timeout=timedelta(seconds=5))


@pytest_asyncio.fixture(scope="module")
async def probe(temporal_client: Client):
    queue = f"steps-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=queue, workflows=[StepsProbe],
                      activities=[persist_clip_version, wait_for_generation, store_generated_video],
                      workflow_runner=UnsandboxedWorkflowRunner()):

        async def start(probe: Probe, **kwargs):
            return await temporal_client.start_workflow(
                StepsProbe.run, probe, id=f"probe-{uuid.uuid4().hex}", task_queue=queue,
                execution_timeout=timedelta(minutes=10), **kwargs)

        start.queue = queue
        yield start


async def failed_with(probe, how: str, fault: Fault | None = None):
    """(what on_end and the waiting Update learnt, the run's failure)."""
    handle = await probe(Probe(how=how, fault=fault))
    ended = await handle.execute_update(StepsProbe.go)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    return ended, failure.value.cause


@pytest.mark.parametrize("fault_type, non_retryable", [
    (error_types.CLIP_NOT_FOUND, False),  # a type no retry can fix
    ("SomethingOwn", True),  # marked non-retryable by the step itself
])
async def test_a_local_step_error_no_retry_can_fix_ends_the_run_as_it_is(
    probe, fault_type, non_retryable
):
    fault = Fault(key=uuid.uuid4().hex, type=fault_type, non_retryable=non_retryable)
    ended, cause = await failed_with(probe, "local", fault)
    assert ended == f"ApplicationError {fault_type}"
    assert isinstance(cause, ApplicationError) and cause.type == fault_type
    assert cause.message == f"{fault_type} from the step"
    assert ATTEMPTS[fault.key] == 1


async def test_a_local_step_out_of_retries_or_time_is_step_timed_out(probe):
    fault = Fault(key=uuid.uuid4().hex, type=error_types.DATABASE_UNAVAILABLE)
    ended, cause = await failed_with(probe, "local", fault)
    assert ended == f"ApplicationError {error_types.STEP_TIMED_OUT}"
    assert cause.type == error_types.STEP_TIMED_OUT and cause.non_retryable
    assert cause.message.startswith("The 'persist version' step ran out of retries (its retry "
                                    "budget is spent) and was given up. The last attempt "
                                    f"failed with {error_types.DATABASE_UNAVAILABLE}")
    hung = Fault(key=uuid.uuid4().hex, type=error_types.DATABASE_UNAVAILABLE, hang=True)
    ended, cause = await failed_with(probe, "local", hung)
    assert cause.type == error_types.STEP_TIMED_OUT
    assert "step ran out of time (start-to-close timeout)" in cause.message


async def test_a_local_step_cancelled_while_it_runs_ends_the_run_cancelled(probe):
    """The SDK wraps a local activity's cancel in ActivityError, as it does its timeout;
    only the timeout is a step failure: the cancel goes on as it is, so the run ends
    cancelled (as a cancel during persist must), not failed. A 1 s workflow task, which
    the worker heartbeats while the step runs, lets the cancel reach the running step."""
    hung = Fault(key=uuid.uuid4().hex, type=error_types.DATABASE_UNAVAILABLE, hang=True)
    handle = await probe(Probe(how="local-cancel", fault=hung), task_timeout=timedelta(seconds=1))
    async def started() -> bool:
        return bool(ATTEMPTS.get(hung.key))

    await wait_until(started, timeout=10, every=0.05)  # the step runs: cancel it now
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(handle.result(), timeout=15)
    assert isinstance(failure.value.cause, CancelledError), failure.value.cause
    assert ATTEMPTS[hung.key] == 1


async def test_an_activity_failure_ends_the_run_typed_and_an_own_error_as_it_is(probe):
    fault = Fault(key=uuid.uuid4().hex, type=error_types.CLIP_NOT_FOUND, non_retryable=True)
    ended, cause = await failed_with(probe, "remote", fault)
    assert ended == f"ApplicationError {error_types.CLIP_NOT_FOUND}"  # typed, not ActivityError
    assert isinstance(cause, ApplicationError) and cause.type == error_types.CLIP_NOT_FOUND
    ended, cause = await failed_with(probe, "raise")
    assert ended == "ApplicationError InvalidInput"
    assert cause.type == "InvalidInput" and cause.message == "refused by the workflow itself"


def upserts(history) -> int:
    return sum(e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
               for e in history.events)


async def test_a_run_owns_its_search_attributes_unless_the_starter_set_them(probe):
    wanted = conventions.search_attributes_for("job-7", 3)
    handle = await probe(Probe(how="search"))
    assert await handle.result() == "searchable"
    assert upserts(await handle.fetch_history()) == 1
    found = (await handle.describe()).typed_search_attributes
    assert found.get(conventions.JOB_ID) == "job-7" and found.get(conventions.CLIP_INDEX) == 3
    handle = await probe(Probe(how="search"), search_attributes=wanted)
    assert await handle.result() == "searchable"
    assert upserts(await handle.fetch_history()) == 0
    partly = TypedSearchAttributes([SearchAttributePair(conventions.JOB_ID, "job-7")])
    handle = await probe(Probe(how="search"), search_attributes=partly)
    await handle.result()
    history = await handle.fetch_history()
    upserted = [e for e in history.events
                if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]
    assert len(upserted) == 1
    fields = upserted[0].upsert_workflow_search_attributes_event_attributes.search_attributes
    assert set(fields.indexed_fields) == {"ClipIndex"}  # only what was missing


def scheduled(history, name: str):
    found = [e.activity_task_scheduled_event_attributes for e in history.events
             if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert [a.activity_type.name for a in found] == [name]
    return found[0]


@pytest.mark.parametrize("store, attempt", [(False, 60), (True, 300)])
async def test_the_wait_is_one_check_per_attempt_and_a_storing_check_gets_the_store_time(
    probe, store, attempt
):
    handle = await probe(Probe(how="wait", queue=probe.queue, store=store))
    assert await handle.result() == "succeeded after 2"
    wait = scheduled(await handle.fetch_history(), "wait_for_generation")
    assert wait.start_to_close_timeout.ToTimedelta() == timedelta(seconds=attempt)
    assert wait.heartbeat_timeout.ToTimedelta() == timedelta(seconds=10)
    assert wait.schedule_to_close_timeout.ToTimedelta() == timedelta(minutes=10)
    assert wait.retry_policy.initial_interval.ToTimedelta() == timedelta(seconds=0.5)
    assert wait.retry_policy.maximum_interval.ToTimedelta() == timedelta(seconds=0.5)
    assert wait.task_queue.name == probe.queue


async def test_the_store_runs_on_the_backends_queue_or_else_locally(probe):
    handle = await probe(Probe(how="store", queue=probe.queue))
    assert await handle.result() == "file:///r/0/end.mp4"
    store = scheduled(await handle.fetch_history(), "store_generated_video")
    assert store.start_to_close_timeout.ToTimedelta() == timedelta(minutes=5)
    handle = await probe(Probe(how="store"))  # no queue: a local activity, no task scheduled
    assert await handle.result() == "file:///r/0/end.mp4"
    history = await handle.fetch_history()
    assert not any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
                   for e in history.events)
    assert any(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED for e in history.events)
