"""Video activities with the real google-genai client against the strict Vertex Veo emulator.

Every call crosses real HTTP to tests/emulators/veo_emulator.py in project mode: a
service-account key file, google-auth's real JWT-bearer exchange at the emulator's
token endpoint (static tokens refused), project/location paths. The submission ledger
is the real one on a real Postgres.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import logging
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import imageio.v2 as imageio
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.config import Settings
from activities.video.reference_images import gcs_uri_of
from activities.video.store import video_key
from activities.video.video_activities import VideoActivities
from tests.emulators.media import probe, video_mp4
from tests.emulators.veo_emulator import VeoEmulator
from tests.support.credentials import write_unknown_service_account_key
from workflows.error_types import (
    GENERATION_PENDING,
    INVALID_INPUT,
    PROVIDER_AUTH,
    PROVIDER_BAD_REQUEST,
    PROVIDER_NOT_FOUND,
    PROVIDER_RATE_LIMITED,
    PROVIDER_UNAVAILABLE,
    SUBMISSION_OUTCOME_UNKNOWN,
)
from workflows.step_models import (
    GenerationRequest,
    GenerationState,
    StoreVideoRequest,
    WaitRequest,
)

MODEL = "veo-3.1-generate-001"


def veo_settings(emulator: VeoEmulator, tmp_path: Path, **overrides) -> Settings:
    """Project mode with a service-account key file, as docs/operations.md configures it."""
    emulator.configure(static_token=False)  # only tokens from the real OAuth exchange
    values = dict(
        RETAKE_VIDEO_BACKEND="veo",
        RETAKE_DATA_DIR=tmp_path,
        google_api_key=None,
        google_cloud_project=emulator.project,
        google_cloud_location=emulator.location,
        google_application_credentials=emulator.write_service_account_key(tmp_path / "sa.json"),
        veo_base_url=emulator.base_url,
        veo_output_gcs_uri=None,
        veo_timeout_seconds=5.0,
        RETAKE_VIDEO_PUBLIC_BASE_URL=None,
        RETAKE_ADAPTIVE_POLLING=False,  # the retry policy's interval (test_adaptive_polling.py)
        # The emulator serves references over http on 127.0.0.1 (tests/support/temporal.py).
        RETAKE_REFERENCE_ALLOW_HTTP=True,
        RETAKE_REFERENCE_ALLOW_PRIVATE=True,
        RETAKE_REFERENCE_BUCKETS="refs,retake-refs",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def video(fresh_veo_emulator, tmp_path, db_pool):
    activities = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    yield activities
    await activities.aclose()


def generation(job_id: UUID, **changes) -> GenerationRequest:
    values = dict(
        regeneration_id=f"test-{uuid4()}/run/0",
        job_id=job_id,
        clip_index=3,
        model=MODEL,
        prompt="Maya on the rooftop at night, neon signs reflecting on wet concrete",
        negative_prompt="blurry, text overlays",
        seed=424242,
        duration_seconds=8,
        aspect_ratio="16:9",
        enhance_prompt=True,
        generate_audio=True,  # these tests follow a clip with sound (tests/test_spend_in_plan.py: none)
    )
    values.update(changes)
    return GenerationRequest(**values)


def env_at_attempt(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


async def submit_and_wait(video: VideoActivities, req: GenerationRequest):
    submission = await ActivityEnvironment().run(video.submit_generation, req)
    wait = WaitRequest(operation_name=submission.operation_name, backend=submission.backend)
    return submission, await ActivityEnvironment().run(video.wait_for_generation, wait)


# --- submit -------------------------------------------------------------------------


async def test_submit_sends_the_plan_as_veo_expects_it(video, fresh_veo_emulator, sample_job_id):
    req = generation(
        sample_job_id,
        duration_seconds=8,  # references: Veo generates 8 s only
        enhance_prompt=False,  # a precise change
        reference_image_urls=[
            fresh_veo_emulator.asset_url("maya.png"),  # http(s): downloaded, sent inline
            "gs://retake-refs/scene_rooftop.jpg",
            "https://storage.googleapis.com/retake-refs/char%20band%2B1.png",  # decoded
        ],
    )
    submission = await ActivityEnvironment().run(video.submit_generation, req)

    assert submission.backend == "veo" and not submission.resubmission_avoided
    [sent] = fresh_veo_emulator.submissions()
    assert submission.operation_name == sent["operation_name"]
    assert submission.operation_name.startswith(
        f"projects/{fresh_veo_emulator.project}/locations/{fresh_veo_emulator.location}/")
    assert sent["model"] == MODEL
    instance, params = sent["instances"][0], sent["parameters"]
    assert instance["prompt"] == req.prompt
    assert params["negativePrompt"] == "blurry, text overlays"
    assert params["seed"] == 424242
    assert params["durationSeconds"] == 8
    assert params["generateAudio"] is True  # required for Veo 3 models
    assert params["aspectRatio"] == "16:9"
    assert "enhancePrompt" not in params  # the rewriter cannot be turned off on Veo 3.x
    assert params["resolution"] == "1080p"  # RETAKE_VEO_RESOLUTION's default
    assert "storageUri" not in params
    refs = instance["referenceImages"]
    assert [r["referenceType"] for r in refs] == ["ASSET"] * 3  # the SDK's own enum
    assert base64.b64decode(refs[0]["image"]["bytesBase64Encoded"]).startswith(b"\x89PNG")
    assert refs[0]["image"]["mimeType"] == "image/png"
    assert refs[1]["image"] == {"gcsUri": "gs://retake-refs/scene_rooftop.jpg",
                                "mimeType": "image/jpeg"}
    assert refs[2]["image"] == {"gcsUri": "gs://retake-refs/char band+1.png",
                                "mimeType": "image/png"}
    counters = fresh_veo_emulator.counters()
    assert counters["tokens_issued"] == 1 and counters["static_token_uses"] == 0


@pytest.mark.parametrize(("asset", "sent_mime", "magic"), [
    ("ref.webp", "image/png", b"\x89PNG"),  # converted with Pillow
    ("ref.gif", "image/png", b"\x89PNG"),
    ("ref.jpg", "image/jpeg", b"\xff\xd8"),  # JPEG and PNG are sent as they are
])
async def test_references_are_sent_as_jpeg_or_png_only(
    video, fresh_veo_emulator, sample_job_id, asset, sent_mime, magic
):
    url = fresh_veo_emulator.asset_url(asset)
    await ActivityEnvironment().run(video.submit_generation,
                                    generation(sample_job_id, reference_image_urls=[url]))
    [ref] = fresh_veo_emulator.submissions()[0]["instances"][0]["referenceImages"]
    assert ref["image"]["mimeType"] == sent_mime
    assert base64.b64decode(ref["image"]["bytesBase64Encoded"]).startswith(magic)


async def test_a_signed_url_is_downloaded_and_sent_inline(video, fresh_veo_emulator, sample_job_id):
    signed = fresh_veo_emulator.asset_url("scene.png") + (
        "?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature=abc123")
    await ActivityEnvironment().run(video.submit_generation,
                                    generation(sample_job_id, reference_image_urls=[signed]))
    [ref] = fresh_veo_emulator.submissions()[0]["instances"][0]["referenceImages"]
    assert "gcsUri" not in ref["image"] and ref["image"]["bytesBase64Encoded"]


@pytest.mark.parametrize(("url", "expected"), [
    ("gs://b/o.png", "gs://b/o.png"),
    ("https://storage.googleapis.com/b/dir/a%20b%2Bc.png", "gs://b/dir/a b+c.png"),
    ("https://storage.cloud.google.com/b/%E2%9C%93.jpg", "gs://b/\u2713.jpg"),
    ("https://b.storage.googleapis.com/dir/x%2Fy.png", "gs://b/dir/x/y.png"),
    # A signed URL: the signature grants access, so it is downloaded, never rewritten.
    ("https://storage.googleapis.com/b/o.png?X-Goog-Signature=abc", None),
    ("https://example.com/b/o.png", None),
])
def test_cloud_storage_urls_become_decoded_gs_uris(url, expected):
    assert gcs_uri_of(url) == expected


async def test_the_fast_model_is_sent_no_references(video, fresh_veo_emulator, sample_job_id):
    req = generation(sample_job_id, model="veo-3.1-fast-generate-001", duration_seconds=4,
                     reference_image_urls=["gs://refs/a.png"])  # the plan drops them too
    await ActivityEnvironment().run(video.submit_generation, req)
    [sent] = fresh_veo_emulator.submissions()
    assert "referenceImages" not in sent["instances"][0]


async def test_no_enhance_prompt_reaches_veo_3_and_a_resolution_is_chosen(
    video, fresh_veo_emulator, sample_job_id
):
    await ActivityEnvironment().run(video.submit_generation,
                                    generation(sample_job_id, resolution="720p"))
    [sent] = fresh_veo_emulator.submissions()
    assert "enhancePrompt" not in sent["parameters"]
    assert sent["parameters"]["resolution"] == "720p"  # the request's own choice
    assert "referenceImages" not in sent["instances"][0]


async def test_unreachable_reference_is_skipped_and_at_most_three_are_sent(
    video, fresh_veo_emulator, sample_job_id
):
    urls = ["http://127.0.0.1:9/unreachable.png"] + [f"gs://refs/{i}.png" for i in range(5)]
    await ActivityEnvironment().run(video.submit_generation,
                                    generation(sample_job_id, reference_image_urls=urls))
    [sent] = fresh_veo_emulator.submissions()
    refs = [r["image"]["gcsUri"] for r in sent["instances"][0]["referenceImages"]]
    assert refs == ["gs://refs/0.png", "gs://refs/1.png", "gs://refs/2.png"]


async def test_second_submit_of_a_regeneration_never_reaches_the_provider(
    video, fresh_veo_emulator, sample_job_id, tmp_path, db_pool
):
    req = generation(sample_job_id)
    first = await ActivityEnvironment().run(video.submit_generation, req)
    again = await env_at_attempt(2).run(video.submit_generation, req)
    # A new worker process (new client, same database) must not pay again either.
    restarted = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    after_restart = await ActivityEnvironment().run(restarted.submit_generation, req)
    await restarted.aclose()

    assert again.operation_name == after_restart.operation_name == first.operation_name
    assert again.resubmission_avoided and after_restart.resubmission_avoided
    counters = fresh_veo_emulator.counters()
    assert counters["submit_requests"] == 1 and counters["submissions_accepted"] == 1


async def test_a_new_regeneration_id_is_a_new_submission(video, fresh_veo_emulator, sample_job_id):
    a = await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    b = await ActivityEnvironment().run(video.submit_generation,
                                        generation(sample_job_id, seed=7))
    assert a.operation_name != b.operation_name
    assert fresh_veo_emulator.counters()["submissions_accepted"] == 2


async def test_the_same_generation_still_uncollected_is_adopted_not_paid_again(
    video, fresh_veo_emulator, sample_job_id
):
    """A new regeneration of the clip asking for exactly what an earlier one paid for and
    never delivered (still running, or collected late) adopts that operation."""
    a = await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    b = await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    assert b.operation_name == a.operation_name and b.resubmission_avoided
    assert fresh_veo_emulator.counters()["submissions_accepted"] == 1


# --- wait ---------------------------------------------------------------------------


async def test_running_generation_is_a_retryable_pending_error(
    video, fresh_veo_emulator, sample_job_id
):
    fresh_veo_emulator.configure(job_seconds=3600)
    submission = await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    wait = WaitRequest(operation_name=submission.operation_name, backend="veo")
    for attempt in (1, 2):
        with pytest.raises(ApplicationError) as info:
            await env_at_attempt(attempt).run(video.wait_for_generation, wait)
        assert info.value.type == GENERATION_PENDING
        assert not info.value.non_retryable
        assert info.value.next_retry_delay is None  # the workflow's retry policy sets the pace
    assert fresh_veo_emulator.counters()["polls_per_operation"][submission.operation_name] == 2


async def test_done_with_inline_bytes_reports_success_and_the_checks_made(
    video, fresh_veo_emulator, sample_job_id
):
    submission = await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    wait = WaitRequest(operation_name=submission.operation_name, backend="veo")
    status = await env_at_attempt(4).run(video.wait_for_generation, wait)
    assert status.state == GenerationState.SUCCEEDED
    assert status.video_gcs_uri is None
    assert status.polls == 1  # the status checks the ledger counted, not the attempt number
    assert fresh_veo_emulator.counters()["polls"] == 1  # one status request per attempt


async def test_done_with_gcs_uri_is_stored_as_is(
    fresh_veo_emulator, sample_job_id, tmp_path, db_pool
):
    settings = veo_settings(fresh_veo_emulator, tmp_path, veo_output_gcs_uri="gs://retake-out/v")
    video = VideoActivities.from_settings(settings, db_pool)
    try:
        req = generation(sample_job_id)
        submission, status = await submit_and_wait(video, req)
        assert fresh_veo_emulator.submissions()[0]["parameters"]["storageUri"] == "gs://retake-out/v"
        assert status.state == GenerationState.SUCCEEDED
        assert status.video_gcs_uri.startswith("gs://retake-out/v/")

        stored = await ActivityEnvironment().run(video.store_generated_video, StoreVideoRequest(
            operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
            clip_index=3, regeneration_id=req.regeneration_id, video_gcs_uri=status.video_gcs_uri,
        ))
        assert stored.url == status.video_gcs_uri and stored.backend == "veo"
        assert not (tmp_path / "videos").exists()  # nothing copied locally
    finally:
        await video.aclose()


async def test_a_video_to_be_cut_comes_back_inline_even_with_gcs_output(
    fresh_veo_emulator, sample_job_id, tmp_path, db_pool
):
    """VEO_OUTPUT_GCS_URI is for whole-length videos: one the worker must cut to the
    clip's length is not written to Cloud Storage, so what is stored is the cut one."""
    settings = veo_settings(fresh_veo_emulator, tmp_path, veo_output_gcs_uri="gs://retake-out/v")
    video = VideoActivities.from_settings(settings, db_pool)
    try:
        req = generation(sample_job_id, reference_image_urls=["gs://refs/a.png"],
                         delivered_seconds=3.25)  # a fractional slot
        submission, status = await submit_and_wait(video, req)
        assert "storageUri" not in fresh_veo_emulator.submissions()[0]["parameters"]
        assert status.state == GenerationState.SUCCEEDED and status.video_gcs_uri is None
        stored = await ActivityEnvironment().run(video.store_generated_video, StoreVideoRequest(
            operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
            clip_index=3, regeneration_id=req.regeneration_id, delivered_seconds=3.25))
        assert stored.url.startswith("file://") and stored.trimmed_to_seconds == 3.25
        measured = probe(Path(stored.url.removeprefix("file://")).read_bytes())
        assert abs(measured["duration"] - 3.25) <= 1 / 8 and measured["audio"]
    finally:
        await video.aclose()


async def test_failed_operation_is_returned_with_its_code_and_message(
    video, fresh_veo_emulator, sample_job_id
):
    fresh_veo_emulator.configure(fail_next=1, fail_code=3, fail_message="Unsupported seed.")
    _, status = await submit_and_wait(video, generation(sample_job_id))
    assert status.state == GenerationState.FAILED
    assert status.error_code == 3 and status.error_message == "Unsupported seed."


async def test_filtered_generation_is_returned_with_the_reasons(
    video, fresh_veo_emulator, sample_job_id
):
    fresh_veo_emulator.configure(filter_words=["explosion"],
                                 filter_reasons=["Violence: support code 17301594"])
    _, status = await submit_and_wait(video, generation(sample_job_id, prompt="A huge explosion"))
    assert status.state == GenerationState.FILTERED
    assert status.filter_reasons == ["Violence: support code 17301594"]

    fresh_veo_emulator.configure(filter_words=[], filter_next=1)
    _, status = await submit_and_wait(video, generation(sample_job_id))
    assert status.state == GenerationState.FILTERED and status.filter_reasons
    _, status = await submit_and_wait(video, generation(sample_job_id))
    assert status.state == GenerationState.SUCCEEDED  # only the next one was filtered


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["submit", "poll"])
@pytest.mark.parametrize(
    "fault, error_type, delay",
    [
        (dict(status=429, retry_after=7), PROVIDER_RATE_LIMITED, timedelta(seconds=7)),
        (dict(status=500), PROVIDER_UNAVAILABLE, None),
        (dict(status=503, retry_after=2), PROVIDER_UNAVAILABLE, timedelta(seconds=2)),
        (dict(status=200, malformed=True), PROVIDER_UNAVAILABLE, None),
    ],
)
async def test_transient_faults_are_retryable(
    video, fresh_veo_emulator, sample_job_id, target, fault, error_type, delay
):
    req = generation(sample_job_id)
    if target == "poll":
        submission = await ActivityEnvironment().run(video.submit_generation, req)
    fresh_veo_emulator.push_fault(target=target, **fault)
    with pytest.raises(ApplicationError) as info:
        if target == "submit":
            await ActivityEnvironment().run(video.submit_generation, req)
        else:
            wait = WaitRequest(operation_name=submission.operation_name, backend="veo")
            await ActivityEnvironment().run(video.wait_for_generation, wait)
    unreadable_answer = target == "submit" and fault.get("malformed")
    # An answer to a submission that cannot be read may hide an accepted (paid) job.
    assert info.value.type == (SUBMISSION_OUTCOME_UNKNOWN if unreadable_answer else error_type)
    assert not info.value.non_retryable
    assert info.value.next_retry_delay == delay
    if target == "submit":  # a failed submission records nothing: the retry submits
        retried = await env_at_attempt(2).run(video.submit_generation, req)
        assert not retried.resubmission_avoided
        assert retried.possible_duplicate_charges == (1 if unreadable_answer else 0)
        assert fresh_veo_emulator.counters()["submissions_accepted"] == 1


async def test_poll_timeout_is_retryable_and_a_submit_timeout_is_outcome_unknown(
    fresh_veo_emulator, sample_job_id, tmp_path, db_pool
):
    settings = veo_settings(fresh_veo_emulator, tmp_path, veo_timeout_seconds=0.3)
    video = VideoActivities.from_settings(settings, db_pool)
    try:
        submission = await ActivityEnvironment().run(video.submit_generation,
                                                     generation(sample_job_id))
        fresh_veo_emulator.push_fault(status=200, delay=1.0, target="poll")
        wait = WaitRequest(operation_name=submission.operation_name, backend="veo")
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(video.wait_for_generation, wait)
        assert info.value.type == PROVIDER_UNAVAILABLE and not info.value.non_retryable
        assert "could not be reached" in info.value.message

        # The request was sent: Veo may have accepted (and charged) it.
        fresh_veo_emulator.push_fault(status=200, delay=1.0, target="submit")
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(video.submit_generation,
                                            generation(sample_job_id, seed=7))
        assert info.value.type == SUBMISSION_OUTCOME_UNKNOWN and not info.value.non_retryable
    finally:
        await video.aclose()


async def test_a_request_veo_would_refuse_is_refused_at_the_door_unpaid(
    video, fresh_veo_emulator, sample_job_id
):
    """Re-checked before the reservation, whatever built it (workflows/trust.py)."""
    for bad in (dict(duration_seconds=5), dict(model="veo-9-imaginary"), dict(seed=-7),
                dict(prompt="x" * 5000), dict(reference_image_urls=["file:///etc/passwd"]),
                dict(delivered_seconds=-1.0)):
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(video.submit_generation,
                                            generation(sample_job_id, **bad))
        assert info.value.type == INVALID_INPUT and info.value.non_retryable, bad
        assert "Nothing was paid" in info.value.message
    assert fresh_veo_emulator.counters()["submissions_accepted"] == 0
    assert fresh_veo_emulator.submissions() == []


async def test_veos_own_bad_request_is_non_retryable(video, fresh_veo_emulator, sample_job_id):
    """Past the door, Vertex's 400 still maps to ProviderBadRequest (the backend alone)."""
    with pytest.raises(ApplicationError) as info:
        await video._backend.submit(generation(sample_job_id, duration_seconds=5))
    assert info.value.type == PROVIDER_BAD_REQUEST and info.value.non_retryable
    assert "durationSeconds 5" in info.value.message
    assert fresh_veo_emulator.counters()["submissions_accepted"] == 0


async def test_unknown_model_is_non_retryable_not_found(video, sample_job_id):
    with pytest.raises(ApplicationError) as info:
        await video._backend.submit(generation(sample_job_id, model="veo-9-imaginary"))
    assert info.value.type == PROVIDER_NOT_FOUND and info.value.non_retryable
    assert "model name" in info.value.message


async def test_unknown_operation_is_non_retryable_not_found(video, fresh_veo_emulator):
    wait = WaitRequest(operation_name=f"publishers/google/models/{MODEL}/operations/nope",
                       backend="veo")
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(video.wait_for_generation, wait)
    assert info.value.type == PROVIDER_NOT_FOUND and info.value.non_retryable


async def test_an_api_key_alone_is_refused_at_start_not_at_the_first_paid_call(
    fresh_veo_emulator, tmp_path, db_pool
):
    settings = veo_settings(fresh_veo_emulator, tmp_path, google_cloud_project=None,
                            google_application_credentials=None,
                            google_api_key=SecretStr(fresh_veo_emulator.api_key))
    with pytest.raises(ValueError) as info:
        VideoActivities.from_settings(settings, db_pool)
    assert "express mode" in str(info.value) and "GOOGLE_CLOUD_PROJECT" in str(info.value)
    assert fresh_veo_emulator.api_key not in str(info.value)
    assert fresh_veo_emulator.counters()["requests"] == 0


async def test_missing_credentials_are_refused_at_start(fresh_veo_emulator, tmp_path, db_pool):
    settings = veo_settings(fresh_veo_emulator, tmp_path,
                            google_application_credentials=tmp_path / "missing.json")
    with pytest.raises(ValueError) as info:
        VideoActivities.from_settings(settings, db_pool)
    assert "GOOGLE_APPLICATION_CREDENTIALS" in str(info.value)


async def test_a_key_the_token_endpoint_refuses_is_a_non_retryable_auth_failure(
    fresh_veo_emulator, sample_job_id, tmp_path, db_pool
):
    unknown = write_unknown_service_account_key(fresh_veo_emulator, tmp_path / "unknown.json")
    settings = veo_settings(fresh_veo_emulator, tmp_path, google_application_credentials=unknown)
    video = VideoActivities.from_settings(settings, db_pool)
    try:
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
        assert info.value.type == PROVIDER_AUTH and info.value.non_retryable
        assert "GOOGLE_APPLICATION_CREDENTIALS" in info.value.message
        counters = fresh_veo_emulator.counters()
        assert counters["token_failures"] >= 1 and counters["submit_requests"] == 0
    finally:
        await video.aclose()


async def test_missing_credential_401_is_a_non_retryable_auth_failure(
    video, fresh_veo_emulator, sample_job_id
):
    fresh_veo_emulator.push_fault(status=401, target="submit",
                                  message="Request is missing required authentication credential")
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    assert info.value.type == PROVIDER_AUTH and info.value.non_retryable


async def test_adc_environment_drives_project_mode_through_the_real_token_exchange(
    fresh_veo_emulator, sample_job_id, tmp_path, db_pool, monkeypatch
):
    """GOOGLE_APPLICATION_CREDENTIALS / GOOGLE_CLOUD_PROJECT / GOOGLE_CLOUD_LOCATION from the
    environment, as on a real worker; VEO_BASE_URL still points at the endpoint."""
    fresh_veo_emulator.configure(static_token=False)
    key = fresh_veo_emulator.write_service_account_key(tmp_path / "adc.json")
    for name, value in {**fresh_veo_emulator.adc_env(key),
                        "VEO_BASE_URL": fresh_veo_emulator.base_url,
                        "RETAKE_VIDEO_BACKEND": "veo", "RETAKE_DATA_DIR": str(tmp_path),
                        # a check at once: other tests' generation times would pace it
                        "RETAKE_ADAPTIVE_POLLING": "false"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    video = VideoActivities.from_settings(Settings(), db_pool)
    try:
        _, status = await submit_and_wait(video, generation(sample_job_id))
        assert status.state == GenerationState.SUCCEEDED
        assert status.operation_name.startswith(
            f"projects/{fresh_veo_emulator.project}/locations/{fresh_veo_emulator.location}/"
            "publishers/google/models/")
        fresh_veo_emulator.expire_tokens()  # revoked server-side: a 401, not retried
        with pytest.raises(ApplicationError) as info:
            await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
        assert info.value.type == PROVIDER_AUTH and info.value.non_retryable
    finally:
        await video.aclose()
    counters = fresh_veo_emulator.counters()
    assert counters["tokens_issued"] == 1 and counters["static_token_uses"] == 0
    assert counters["submissions_accepted"] == 1


async def test_no_api_key_in_any_result_error_or_log(
    fresh_veo_emulator, sample_job_id, tmp_path, db_pool, caplog
):
    key = fresh_veo_emulator.api_key
    caplog.set_level(logging.DEBUG)
    video = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    seen: list[str] = []
    try:
        req = generation(sample_job_id)
        submission, status = await submit_and_wait(video, req)
        seen += [submission.model_dump_json(), status.model_dump_json()]
        # A provider that echoes the key back in its error message (seen in the wild).
        fresh_veo_emulator.push_fault(status=400, target="poll",
                                      message=f"API key {key} not valid for this project")
        fresh_veo_emulator.push_fault(status=429, target="poll", message=f"quota for key={key}")
        fresh_veo_emulator.configure(fail_next=1, fail_message=f"internal error with {key}")
        failing = await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
        wait = WaitRequest(operation_name=failing.operation_name, backend="veo")
        for _ in range(2):
            with pytest.raises(ApplicationError) as info:
                await ActivityEnvironment().run(video.wait_for_generation, wait)
            seen += [str(info.value), repr(info.value.details)]
        failed = await ActivityEnvironment().run(video.wait_for_generation, wait)
        assert failed.state == GenerationState.FAILED
        seen.append(failed.model_dump_json())
        stored = await ActivityEnvironment().run(video.store_generated_video, StoreVideoRequest(
            operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
            clip_index=3, regeneration_id=req.regeneration_id))
        seen.append(stored.model_dump_json())
    finally:
        await video.aclose()
    assert "[redacted]" in " ".join(seen)  # the echoed key was there, and was scrubbed
    for text in seen + [caplog.text]:
        assert key not in text


# --- store --------------------------------------------------------------------------


async def test_store_fetches_the_bytes_and_writes_them_once(
    video, fresh_veo_emulator, sample_job_id, tmp_path
):
    req = generation(sample_job_id)
    submission, status = await submit_and_wait(video, req)
    store_req = StoreVideoRequest(
        operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
        clip_index=3, regeneration_id=req.regeneration_id, video_gcs_uri=status.video_gcs_uri)
    stored = await ActivityEnvironment().run(video.store_generated_video, store_req)

    path = tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)
    generated = video_mp4(8, "16:9", True)  # what the emulator returned, kept whole
    assert path.read_bytes() == generated
    assert stored.url == path.resolve().as_uri()
    assert stored.sha256 == hashlib.sha256(generated).hexdigest()
    assert stored.size_bytes == len(generated)
    assert stored.trimmed_to_seconds is None

    polls_before = fresh_veo_emulator.counters()["polls"]
    again = await env_at_attempt(2).run(video.store_generated_video, store_req)
    assert again == stored
    assert fresh_veo_emulator.counters()["polls"] == polls_before  # already stored: no refetch


async def test_store_trims_to_the_delivered_length_keeping_the_audio(
    video, fresh_veo_emulator, sample_job_id, tmp_path
):
    req = generation(sample_job_id, reference_image_urls=["gs://refs/a.png"])  # 8 s generated
    submission, status = await submit_and_wait(video, req)
    store_req = StoreVideoRequest(
        operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
        clip_index=3, regeneration_id=req.regeneration_id, delivered_seconds=5.5)
    stored = await ActivityEnvironment().run(video.store_generated_video, store_req)

    data = (tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)).read_bytes()
    measured = probe(data)
    # A fractional slot: 5.5 s within one frame (the emulator: 8 fps), not 5 or 6 s.
    assert abs(measured["duration"] - 5.5) <= 1 / 8
    assert measured["video"] and measured["audio"]
    assert probe(video_mp4(8, "16:9", True))["duration"] == 8.0  # it was cut, not made short
    assert stored.trimmed_to_seconds == 5.5 and stored.sha256 == hashlib.sha256(data).hexdigest()
    again = await env_at_attempt(2).run(video.store_generated_video, store_req)
    assert again == stored  # a retried store finds the same trimmed file


async def test_store_of_an_unfinished_operation_is_a_typed_failure(
    video, fresh_veo_emulator, sample_job_id
):
    fresh_veo_emulator.configure(job_seconds=3600)
    req = generation(sample_job_id)
    submission = await ActivityEnvironment().run(video.submit_generation, req)
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(video.store_generated_video, StoreVideoRequest(
            operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
            clip_index=3, regeneration_id=req.regeneration_id))
    assert info.value.non_retryable and "no finished video" in info.value.message


# --- preview ------------------------------------------------------------------------


async def test_preview_backend_runs_the_same_three_steps_offline(sample_job_id, tmp_path, db_pool):
    # Adaptive polling off: other tests' generation times in the shared database would pace
    # the first check (tests/test_adaptive_polling.py tests it with a history it controls).
    settings = Settings(RETAKE_VIDEO_BACKEND="preview", RETAKE_DATA_DIR=tmp_path,
                        RETAKE_VIDEO_PUBLIC_BASE_URL=None, RETAKE_ADAPTIVE_POLLING=False)
    video = VideoActivities.from_settings(settings, db_pool)
    req = generation(sample_job_id, seed=9)
    submission, status = await submit_and_wait(video, req)
    assert submission.backend == "preview"
    assert submission.operation_name == f"preview/{req.regeneration_id}"
    assert status.state == GenerationState.SUCCEEDED

    again = await env_at_attempt(2).run(video.submit_generation, req)
    assert again.resubmission_avoided and again.operation_name == submission.operation_name

    stored = await ActivityEnvironment().run(video.store_generated_video, StoreVideoRequest(
        operation_name=submission.operation_name, backend="preview", job_id=sample_job_id,
        clip_index=3, regeneration_id=req.regeneration_id))
    assert stored.backend == "preview" and stored.url.startswith("file://")
    with imageio.get_reader(Path(stored.url.removeprefix("file://"))) as reader:
        assert sum(1 for _ in reader) > 0


async def test_veo_operation_on_a_preview_only_worker_is_refused(sample_job_id, tmp_path, db_pool):
    settings = Settings(RETAKE_VIDEO_BACKEND="preview", RETAKE_DATA_DIR=tmp_path)
    video = VideoActivities.from_settings(settings, db_pool)
    wait = WaitRequest(operation_name=f"publishers/google/models/{MODEL}/operations/1",
                       backend="veo")
    with pytest.raises(ApplicationError) as info:
        await ActivityEnvironment().run(video.wait_for_generation, wait)
    assert info.value.type == INVALID_INPUT and info.value.non_retryable
