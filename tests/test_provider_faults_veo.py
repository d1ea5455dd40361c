"""Vertex Veo faults as they really arrive (issue 12), through google-genai and google-auth.

Project mode with a service-account key whose token endpoint is the emulator, so every
request carries a token from google-auth's real JWT-bearer exchange. RetryInfo (not a
header) sets the next retry delay; a bad API key is an auth failure; token-endpoint
failures follow google-auth's own retryable flag; transient operation errors get one
resubmission in the workflow, counted in the result, and no more; a worker without Veo
credentials never runs a Veo generation's wait or store.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.testing import ActivityEnvironment

from activities.errors import from_genai_error
from activities.video.video_activities import VideoActivities
from retake.client import start_regeneration
from retake.wiring import RetakeActivities, build_worker
from tests.reliability.helpers import wait_for_stage
from tests.support.temporal import TEST_VEO_REQUESTS_PER_MINUTE, retake_settings
from tests.test_workflow_e2e import record, request, versions
from workflows import error_types
from workflows.conventions import backend_queue, veo_submit_queue
from workflows.step_models import GenerationRequest, WaitRequest

GA_MODEL = "veo-3.1-generate-001"


@pytest.fixture
def veo(fresh_veo_emulator, tmp_path, monkeypatch):
    """The strict emulator in project mode, with ADC pointing at its service account."""
    key = fresh_veo_emulator.write_service_account_key(tmp_path / "sa.json")
    for name, value in fresh_veo_emulator.adc_env(key).items():
        monkeypatch.setenv(name, value)
    fresh_veo_emulator.configure(job_seconds=0.2)
    return fresh_veo_emulator


def project_settings(veo, tmp_path, **extra):
    return retake_settings(
        tmp_path,
        RETAKE_VIDEO_BACKEND="veo",
        google_cloud_project=veo.project,
        google_cloud_location=veo.location,
        veo_base_url=veo.base_url,
        veo_timeout_seconds=5.0,
        # The submit queue's limiter holds a second submit within ~5 s of the first (the
        # rate is split over the queue's partitions): tests of other things do not wait.
        **({"RETAKE_VEO_REQUESTS_PER_MINUTE": TEST_VEO_REQUESTS_PER_MINUTE} | extra),
    )


@pytest.fixture
async def video(veo, tmp_path, db_pool):
    activities = VideoActivities.from_settings(project_settings(veo, tmp_path), db_pool)
    yield activities
    await activities.aclose()


def generation(job_id, clip: int = 1) -> GenerationRequest:
    return GenerationRequest(
        regeneration_id=f"faults-{uuid4()}/0", job_id=job_id, clip_index=clip, model=GA_MODEL,
        prompt="A band plays on a rooftop at night", seed=7, duration_seconds=8,
    )


async def submit(video: VideoActivities, job_id, clip: int = 1):
    return await ActivityEnvironment().run(video.submit_generation, generation(job_id, clip))


async def submit_error(video: VideoActivities, job_id, clip: int = 1) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await submit(video, job_id, clip)
    return caught.value


# --- activity level: the mapping -------------------------------------------------------


async def test_quota_429_retries_after_retry_info(video, veo, sample_job_id):
    veo.configure(quota_per_minute=1)
    await submit(video, sample_job_id, clip=1)
    # Another clip: a paid, uncollected operation of the same clip would be reused.
    err = await submit_error(video, sample_job_id, clip=2)
    assert (err.type, err.non_retryable) == (error_types.PROVIDER_RATE_LIMITED, False)
    # The emulator's RetryInfo says when the 60 s window frees a slot; no Retry-After sent.
    assert timedelta(seconds=1) <= err.next_retry_delay <= timedelta(seconds=60)
    assert veo.counters()["quota_rejections"] == 1


@pytest.mark.parametrize("target", ["submit", "poll"])
async def test_retry_info_on_a_503_is_the_next_retry_delay(video, veo, sample_job_id, target):
    submission = await submit(video, sample_job_id) if target == "poll" else None
    veo.push_fault(status=503, retry_delay=2.5, target=target)
    with pytest.raises(ApplicationError) as caught:
        if submission is None:
            await submit(video, sample_job_id)
        else:
            wait = WaitRequest(operation_name=submission.operation_name, backend="veo")
            await ActivityEnvironment().run(video.wait_for_generation, wait)
    assert (caught.value.type, caught.value.non_retryable) == (
        error_types.PROVIDER_UNAVAILABLE, False)
    assert caught.value.next_retry_delay == timedelta(seconds=2.5)


async def test_bad_api_key_is_an_auth_failure(veo):
    """Vertex answers a bad key with 400 INVALID_ARGUMENT + ErrorInfo API_KEY_INVALID: the
    mapping makes it an auth failure. (The worker itself does not run Veo on an API key:
    express mode does not serve Veo; the answer is taken from the real client over the
    wire.)"""
    bad_key = "AIzaBadKeyForRetake-test-0123"  # key-shaped, not real-key long
    client = genai.Client(vertexai=True, api_key=bad_key,
                          http_options=types.HttpOptions(base_url=veo.base_url))
    with pytest.raises(genai_errors.APIError) as raised:
        await client.aio.models.generate_videos(
            model=GA_MODEL, source=types.GenerateVideosSource(prompt="a rooftop at night"),
            config=types.GenerateVideosConfig(duration_seconds=8, generate_audio=True))
    err = from_genai_error(raised.value, [bad_key])
    assert (err.type, err.non_retryable) == (error_types.PROVIDER_AUTH, True)
    assert "API_KEY_INVALID" in err.message and "GOOGLE_API_KEY" in err.message
    assert bad_key not in err.message
    assert veo.rejections()[-1]["status"] == 400


async def test_refused_credentials_are_a_terminal_auth_failure(video, veo, sample_job_id):
    veo.push_token_fault(400, "invalid_grant", "Invalid JWT Signature.")
    err = await submit_error(video, sample_job_id)
    assert (err.type, err.non_retryable) == (error_types.PROVIDER_AUTH, True)
    assert veo.counters()["submit_requests"] == 0  # never reached Veo


async def test_token_endpoint_outage_is_retryable_as_google_auth_says(video, veo, sample_job_id):
    for _ in range(3):  # google-auth itself tries the token endpoint 3 times (about 3 s)
        veo.push_token_fault(503, "temporarily_unavailable")
    err = await submit_error(video, sample_job_id)
    assert (err.type, err.non_retryable) == (error_types.PROVIDER_UNAVAILABLE, False)
    assert "RefreshError" in err.message
    assert veo.counters()["token_failures"] == 3
    assert (await submit(video, sample_job_id)).operation_name  # the next attempt succeeds


# --- workflow level: one resubmission for a transient operation error --------------------


async def run_regeneration(temporal_client, task_queue, sample_job_id, clip=1):
    handle = await start_regeneration(
        temporal_client, request(sample_job_id, clip, "make it nighttime", video_model=GA_MODEL),
        task_queue=task_queue)
    return handle, await handle.result()


@pytest.mark.parametrize("code", [13, 14])
async def test_a_transient_operation_error_is_resubmitted_once_and_counted(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo, code
):
    veo.fail_operations(1, code)
    async with run_worker(project_settings(veo, tmp_path)):
        handle, result = await run_regeneration(temporal_client, task_queue, sample_job_id)
    if code == 13:  # for the replay tests (tests/record_histories.py)
        await record(handle, "transient_resubmitted")
    assert result.status == "completed" and result.transient_resubmissions == 1
    assert result.filtered_retries == 0
    assert [p["outcome"] for p in veo.paid_submissions()] == ["failed", "video"]
    assert [v["version_number"] for v in await versions(db_pool, sample_job_id, 1)] == [1, 2]


@pytest.mark.parametrize(("codes", "paid"), [((14, 13), 2), ((3,), 1), ((9,), 1)])
async def test_a_second_failure_or_a_request_error_is_terminal_and_typed(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo, codes, paid
):
    for code in codes:
        veo.fail_operations(1, code)
    async with run_worker(project_settings(veo, tmp_path)):
        with pytest.raises(WorkflowFailureError) as failure:
            await run_regeneration(temporal_client, task_queue, sample_job_id)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.type, cause.non_retryable) == (error_types.GENERATION_FAILED, True)
    assert f"code {codes[-1]}" in cause.message
    assert len(veo.paid_submissions()) == paid  # one resubmission at most, never for code 3/9
    assert await versions(db_pool, sample_job_id, 1) == []  # nothing persisted


# --- routing: per-backend queues, a rate-limited Veo submit queue ---------------------------


async def test_veo_submissions_have_their_own_rate_limited_queue(
    temporal_client, tmp_path, db_pool, veo
):
    settings = project_settings(veo, tmp_path, RETAKE_VEO_REQUESTS_PER_MINUTE=120)
    acts = RetakeActivities.from_settings(settings, db_pool)
    workers = build_worker(temporal_client, settings, acts, task_queue="q")
    by_queue = {w.task_queue: w.config() for w in workers.workers}
    assert set(by_queue) == {"q", veo_submit_queue("q"), backend_queue("q", "veo")}
    submit_queue = by_queue[veo_submit_queue("q")]
    # 120 per minute less the limiter's burst allowance (retake/wiring.py, measured).
    assert submit_queue["max_task_queue_activities_per_second"] == (120 - 5) / 60
    assert [a.__name__ for a in submit_queue["activities"]] == ["submit_generation"]
    assert by_queue[backend_queue("q", "veo")].get("max_task_queue_activities_per_second") is None
    preview = build_worker(temporal_client, retake_settings(tmp_path),
                           RetakeActivities.from_settings(retake_settings(tmp_path), db_pool),
                           task_queue="p")
    assert preview.task_queues == ["p", backend_queue("p", "preview")]  # never Veo's queues
    await acts.video.aclose()


async def test_a_worker_without_veo_credentials_never_runs_a_veo_wait_or_store(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    """A Veo worker submits and leaves; only a preview worker (no Veo credentials) is left
    on the main queue while Veo finishes. Before issue 12 it picked up the wait and failed
    the paid generation for good; now the wait sits on the Veo queue until a Veo worker
    comes back, and the regeneration completes."""
    veo.configure(job_seconds=1.5)
    async with run_worker(project_settings(veo, tmp_path / "veo")):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 1, "make it nighttime", video_model=GA_MODEL),
            task_queue=task_queue)
        await wait_for_stage(handle, "waiting")
    # The SDK allows one worker per task queue per runtime: the preview "process" gets its own.
    other = await Client.connect(
        temporal_client.service_client.config.target_host,
        runtime=Runtime(telemetry=TelemetryConfig()),
        data_converter=pydantic_data_converter,
    )
    preview_settings = retake_settings(tmp_path / "preview")
    async with build_worker(other, preview_settings,
                            RetakeActivities.from_settings(preview_settings, db_pool),
                            task_queue=task_queue):
        await asyncio.sleep(2.5)  # Veo has finished; the preview worker serves the main queue
        described = await handle.describe()  # (the server's view: no worker needed)
        pending = described.raw_description.pending_activities
        assert described.status == WorkflowExecutionStatus.RUNNING
        assert [p.activity_type.name for p in pending] == ["wait_for_generation"]
    async with run_worker(project_settings(veo, tmp_path / "veo")):
        try:
            result = await asyncio.wait_for(handle.result(), 60)
        except TimeoutError:
            history = await handle.fetch_history()
            (tmp_path / "unfinished-history.json").write_text(history.to_json())  # to replay
            raise

    assert result.status == "completed" and result.video_backend == "veo"
    scheduled = [
        (e.activity_task_scheduled_event_attributes.activity_type.name,
         e.activity_task_scheduled_event_attributes.task_queue.name)
        async for e in handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == [
        ("submit_generation", veo_submit_queue(task_queue)),
        ("wait_for_generation", backend_queue(task_queue, "veo")),  # it stores too (#34)
    ]
    assert len(veo.paid_submissions()) == 1
