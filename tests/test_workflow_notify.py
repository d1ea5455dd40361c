"""The push side of workflows/notify.py run by a probe workflow on the dev server: when
the expiry warning goes, what each event's id is, which pushes start a NotifyWorkflow
(none without a URL, one per event), and how NotifyWorkflow schedules its delivery (its
retries are what a receiver sees). `send_notification` is this file's, under the real
name, failing as often as told; about 2 s for the file."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import workflows.notify as notify
from workflows import conventions
from workflows.models import RegenerateClipInput
from workflows.notify_models import Notification

SENT: dict[str, list[str]] = {}  # job id -> the event ids delivered, in order
FAILS: dict[str, int] = {}  # job id -> deliveries still to fail


@activity.defn(name="send_notification")
async def send_notification(note: Notification) -> int:
    job = str(note.event.job_id)
    if FAILS.get(job, 0) > 0:
        FAILS[job] -= 1
        raise ApplicationError("receiver answered 503")
    SENT.setdefault(job, []).append(note.event.event_id)
    return 200


class Probe(BaseModel):
    how: str  # "warn", "push", "end"
    job: str
    url: str | None = None
    timeout: float = 1.0
    waiting: bool = True
    request: RegenerateClipInput | None = None


@workflow.defn(name="NotifyProbe", sandboxed=False)
class NotifyProbe:
    @workflow.run
    async def run(self, probe: Probe) -> list[str]:
        job = uuid.UUID(probe.job)
        if probe.how == "warn":
            await notify.warn_before_expiry(
                probe.url, probe.timeout, lambda: probe.waiting,
                lambda: notify.event("plan_expiring_soon", job, 2, key="1", revision=1))
            return []
        if probe.how == "end":
            await notify.push_end(probe.request, "completed", version=4)
            return []
        first = notify.event("completed", job, 2)
        await notify.push(probe.url, first)
        await notify.push(probe.url, first)  # the same event again: not sent twice
        return [first.event_id, notify.event("failed", job, 2, key="x").event_id]


@pytest_asyncio.fixture(scope="module")
async def probe(temporal_client: Client):
    queue = f"notify-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=queue,
                      workflows=[NotifyProbe, notify.NotifyWorkflow],
                      activities=[send_notification], workflow_runner=UnsandboxedWorkflowRunner()):

        async def run(probe: Probe):
            handle = await temporal_client.start_workflow(
                NotifyProbe.run, probe, id=f"probe-{uuid.uuid4().hex}", task_queue=queue,
                execution_timeout=timedelta(seconds=30))
            return handle, await handle.result()

        yield run


def events(history, kind: EventType) -> list:
    return [e for e in history.events if e.event_type == kind]


@pytest.mark.parametrize("timeout, lead", [(1.0, 0.2), (600.0, 60.0)])
def test_the_warning_goes_a_minute_or_a_fifth_of_a_short_timeout_early(timeout, lead):
    assert notify.expiry_warning_lead(timeout) == pytest.approx(lead)


@pytest.mark.parametrize("waiting", [True, False])
async def test_the_warning_waits_out_all_but_its_lead_and_goes_only_if_still_waiting(
    probe, waiting
):
    job = str(uuid.uuid4())
    handle, _ = await probe(Probe(how="warn", job=job, url="https://example.test/hook",
                                  timeout=0.5, waiting=waiting))
    history = await handle.fetch_history()
    timers = events(history, EventType.EVENT_TYPE_TIMER_STARTED)
    assert [t.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
            for t in timers] == [timedelta(seconds=0.4)]
    children = events(history, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    assert len(children) == (1 if waiting else 0)
    if waiting:
        started = children[0].start_child_workflow_execution_initiated_event_attributes
        event_id = f"{handle.id}:{handle.result_run_id}:plan_expiring_soon:1"
        assert started.workflow_id == conventions.notify_workflow_id(event_id)


async def test_without_a_url_nothing_waits_and_nothing_is_pushed(probe):
    handle, _ = await probe(Probe(how="warn", job=str(uuid.uuid4()), url=None))
    history = await handle.fetch_history()
    assert events(history, EventType.EVENT_TYPE_TIMER_STARTED) == []
    handle, ids = await probe(Probe(how="push", job=str(uuid.uuid4()), url=""))
    assert events(await handle.fetch_history(),
                  EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) == []


async def test_an_event_is_pushed_once_under_its_stable_id_and_retried_as_scheduled(
    probe, temporal_client
):
    job = str(uuid.uuid4())
    FAILS[job] = 1
    handle, ids = await probe(Probe(how="push", job=job, url="https://example.test/hook"))
    assert ids == [f"{handle.id}:{handle.result_run_id}:completed",
                   f"{handle.id}:{handle.result_run_id}:failed:x"]
    child = temporal_client.get_workflow_handle(conventions.notify_workflow_id(ids[0]))
    assert await child.result() == 200
    assert SENT[job] == [ids[0]]  # once, after a failed delivery
    scheduled = events(await child.fetch_history(), EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    attrs = scheduled[0].activity_task_scheduled_event_attributes
    assert attrs.activity_type.name == "send_notification"
    assert attrs.start_to_close_timeout.ToTimedelta() == timedelta(seconds=15)
    retry = attrs.retry_policy
    assert retry.initial_interval.ToTimedelta() == timedelta(milliseconds=100)
    assert retry.backoff_coefficient == 2.0
    assert retry.maximum_interval.ToTimedelta() == timedelta(minutes=1)
    assert retry.maximum_attempts == 12
    assert list(retry.non_retryable_error_types) == ["NotifyRefused"]
    # The second push of the same event was refused by the server, and the run went on.
    history = await handle.fetch_history()
    assert len(events(history, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)) == 1
    assert len(events(history, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)) == 1


@pytest.mark.parametrize("url, pushed", [("https://example.test/hook", True), (None, False)])
async def test_a_regeneration_pushes_its_end_only_when_it_asked_for_pushes(probe, url, pushed):
    job = uuid.uuid4()
    request = RegenerateClipInput(job_id=job, clip_index=2, instruction="make it brighter",
                                  options={"notify_url": url})
    handle, _ = await probe(Probe(how="end", job=str(job), request=request))
    children = events(await handle.fetch_history(),
                      EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
    assert len(children) == (1 if pushed else 0)
