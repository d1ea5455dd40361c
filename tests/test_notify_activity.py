"""Push notifications against a real HTTP receiver: signed, retried on 5xx by
NotifyWorkflow on the dev server, refused without a request for a host the workers do
not allow."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from aiohttp import web
from pydantic import SecretStr
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.notify.send import NOTIFY_REFUSED, NotifyActivities
from activities.notify.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from workflows import notify
from workflows.notify import NotifyWorkflow
from workflows.notify_models import Notification, NotifyEvent

SECRET = "test-notify-secret"


class Receiver:
    """A chatbot backend's webhook: answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.answers: list[int] = []
        self.received: list[tuple[dict, bool]] = []  # (body, signature valid)
        self.statuses: list[int] = []  # what each was answered

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = int(request.headers[TIMESTAMP_HEADER])
        ok = verify(SECRET, stamp, body, request.headers[SIGNATURE_HEADER], now=time.time())
        self.received.append((json.loads(body), ok))
        status = self.answers.pop(0) if self.answers else 200
        self.statuses.append(status)
        return web.Response(status=status)


@pytest.fixture
async def receiver():
    got = Receiver()
    app = web.Application()
    app.router.add_post("/hook", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    got.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"
    yield got
    await runner.cleanup()


def note(url: str, event: str = "completed") -> Notification:
    return Notification(url=url, event=NotifyEvent(
        event_id=f"regenerate-j-2:run:{event}", event=event, workflow_id="regenerate-j-2",
        job_id=uuid.uuid4(), clip_index=2, occurred_at=datetime.now(UTC), version=3,
        video_url="https://videos.example/3.mp4"))


def notifier(**kw) -> NotifyActivities:
    return NotifyActivities(kw.pop("hosts", ["127.0.0.1"]), kw.pop("secret", SecretStr(SECRET)),
                            allow_http=kw.pop("allow_http", True), **kw)


async def test_a_push_is_signed_and_the_receiver_can_check_it(receiver):
    sent = note(receiver.url)
    assert await ActivityEnvironment().run(notifier().send_notification, sent) == 200
    ((body, signed),) = receiver.received
    assert signed and NotifyEvent.model_validate(body) == sent.event
    assert not verify("another-secret", int(time.time()), json.dumps(body).encode(), "x",
                      now=time.time())


@pytest.mark.parametrize("status, retried", [(503, True), (429, True), (404, False)])
async def test_a_failed_delivery_is_retryable_only_when_the_receiver_may_recover(
    receiver, status, retried
):
    receiver.answers = [status]
    with pytest.raises(ApplicationError) as failure:
        await ActivityEnvironment().run(notifier().send_notification, note(receiver.url))
    assert failure.value.non_retryable is (not retried)


@pytest.mark.parametrize("settings, url", [
    ({"hosts": ["hooks.example.com"]}, None),  # host not allowed
    ({"allow_http": False}, None),  # plain http in production
    ({"secret": None}, None),  # never unsigned
    ({}, "ftp://127.0.0.1/hook"),
])
async def test_a_url_the_workers_may_not_post_to_is_refused_before_any_request(
    receiver, settings, url
):
    with pytest.raises(ApplicationError) as failure:
        await ActivityEnvironment().run(notifier(**settings).send_notification,
                                        note(url or receiver.url))
    assert failure.value.type == NOTIFY_REFUSED and failure.value.non_retryable
    assert receiver.received == []


async def test_temporal_retries_a_push_until_the_receiver_takes_it(
    temporal_client, task_queue, receiver
):
    receiver.answers = [503, 502]
    async with Worker(temporal_client, task_queue=task_queue, workflows=[NotifyWorkflow],
                      activities=[notifier().send_notification]):
        status = await temporal_client.execute_workflow(
            NotifyWorkflow.run, note(receiver.url), id=f"notify-test-{uuid.uuid4()}",
            task_queue=task_queue)
    assert status == 200
    assert len(receiver.received) == 3 and all(ok for _, ok in receiver.received)
    assert len({body["event_id"] for body, _ in receiver.received}) == 1  # one event, retried


@workflow.defn(sandboxed=False)
class PushesLikeARegeneration:
    """Test-only: a plan that waits for a confirmation nobody sends (warned before it
    expires), then a `completed` push, then the end, never waiting on a receiver."""

    @workflow.run
    async def run(self, args: list) -> str:
        url, job = args
        waiting = True
        warn = asyncio.create_task(notify.warn_before_expiry(
            url, 2.0, lambda: waiting,
            lambda: notify.event("plan_expiring_soon", uuid.UUID(job), 2, key="1", revision=1)))
        await workflow.sleep(1.8)
        waiting = False
        await warn
        await notify.push(url, notify.event("completed", uuid.UUID(job), 2, version=2))
        return "done"


async def test_the_regeneration_side_pushes_without_waiting_for_the_receiver(
    temporal_client, task_queue, receiver
):
    receiver.answers = [503] * 5  # the first five deliveries fail
    job = str(uuid.uuid4())
    async with Worker(temporal_client, task_queue=task_queue,
                      workflows=[PushesLikeARegeneration, NotifyWorkflow],
                      activities=[notifier().send_notification],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        handle = await temporal_client.start_workflow(
            PushesLikeARegeneration.run, [receiver.url, job], id=f"pushes-{uuid.uuid4()}",
            task_queue=task_queue)
        assert await handle.result() == "done"
        ended = len(receiver.received)  # the run ended while pushes were still failing
        for _ in range(100):
            if receiver.statuses.count(200) == 2:
                break
            await asyncio.sleep(0.1)
    assert ended < len(receiver.received) and receiver.statuses.count(503) == 5
    assert all(ok for _, ok in receiver.received)
    taken = [body for (body, _), status in zip(receiver.received, receiver.statuses)
             if status == 200]
    assert sorted(b["event_id"] for b in taken) == [
        f"{handle.id}:{handle.result_run_id}:completed",
        f"{handle.id}:{handle.result_run_id}:plan_expiring_soon:1",
    ]  # each event taken once, after its retries


async def test_a_regeneration_with_a_notify_url_pushes_completed_and_failed(
    temporal_client, run_worker, sample_job_id, receiver, tmp_path
):
    """The regeneration itself pushes when it ends (patch notify-url), never waiting."""
    from temporalio.client import WorkflowFailureError

    from retake.client import start_regeneration
    from tests.support.temporal import retake_settings
    from workflows.models import RegenerateClipInput, RegenerateOptions

    settings = retake_settings(tmp_path, RETAKE_NOTIFY_HOSTS="127.0.0.1",
                               RETAKE_NOTIFY_ALLOW_HTTP=True, RETAKE_NOTIFY_SECRET=SECRET)
    options = RegenerateOptions(poll_interval_seconds=0.2, notify_url=receiver.url)
    async with run_worker(settings) as worker:
        done = await (await start_regeneration(temporal_client, RegenerateClipInput(
            job_id=sample_job_id, clip_index=1, instruction="make it brighter", options=options),
            task_queue=worker.task_queues[0])).result()
        failing = await start_regeneration(temporal_client, RegenerateClipInput(
            job_id=sample_job_id, clip_index=99, instruction="make it brighter", options=options),
            task_queue=worker.task_queues[0])
        with pytest.raises(WorkflowFailureError):
            await failing.result()
        for _ in range(100):
            if len(receiver.received) >= 2:
                break
            await asyncio.sleep(0.1)
    events = {body["event"]: body for body, ok in receiver.received if ok}
    assert events["completed"]["version"] == done.version and events["completed"]["clip_index"] == 1
    assert events["failed"]["error_type"] == "ClipNotFound"
