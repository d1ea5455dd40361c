"""The Veo backend itself (activities/video/veo_backend.py), no activity, no database: where
it sends a call, which credentials it loads, what a finished operation reads as, what the
SDK is told, and the pool it holds. Written from the mutation run's survivors (issue 35);
tests/test_veo_activity.py drives it through the activities.

Two fakes, both at the wire only: the strict Vertex Veo emulator (tests/emulators/), and
`Wire`, an HTTP endpoint here that answers each POST with the next scripted operation
JSON, for answers the emulator never gives (a video with no URI, a message of 600
characters, two videos, a body cut inside the video, sent in small pieces).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections import deque
from pathlib import Path
from uuid import uuid4

import google.oauth2.credentials
import httpx2 as httpx
import pytest
from aiohttp import web
from google import genai
from google.genai import types
from google.oauth2 import service_account
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from activities.config import Settings
from activities.video.frames import FrameReader, frame_ref
from activities.video.veo_backend import (
    CLOUD_PLATFORM_SCOPE,
    VertexVeoBackend,
    load_credentials,
    veo_setup_problem,
    vertex_endpoint,
)
from tests.emulators.media import tiny_image
from tests.emulators.threaded_app import ThreadedApp
from tests.emulators.veo_emulator import VeoEmulator
from workflows.error_types import (
    GENERATION_FAILED,
    INVALID_INPUT,
    PROVIDER_UNAVAILABLE,
    SUBMISSION_OUTCOME_UNKNOWN,
)
from workflows.step_models import GenerationRequest, GenerationState

MODEL = "veo-3.1-generate-001"
OPERATION = f"projects/p/locations/us-central1/publishers/google/models/{MODEL}/operations/1"
VIDEO = bytes(range(256)) * 64  # 16 KiB that survive base64 only when decoded right


class Wire:
    """A scripted Vertex endpoint on 127.0.0.1: each POST gets the next queued answer
    (`running` when none is queued), written in pieces of `piece` bytes when asked, or
    dropped with the connection after `drop_after` bytes; every request is kept (path,
    headers, body) with the connection it came on."""

    def __init__(self) -> None:
        self.answers: deque[tuple[bytes, int, int | None]] = deque()
        self.seen: list[dict] = []
        self.connections: set = set()
        self.release = threading.Event()
        self.release.set()
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._answer)
        self.server = ThreadedApp(app)  # started and stopped by the `wire` fixture

    @property
    def url(self) -> str:
        return self.server.root_url

    def queue(self, answer: dict | bytes, piece: int = 0, drop_after: int | None = None) -> None:
        self.answers.append((answer if isinstance(answer, bytes) else
                             json.dumps(answer).encode(), piece, drop_after))

    def open_connections(self) -> int:
        return sum(not t.is_closing() for t in list(self.connections))

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.connections.add(request.transport)
        self.seen.append({"path": request.path, "headers": dict(request.headers),
                          "json": json.loads(body) if body else None})
        while not self.release.is_set():  # held: the test counts what is in flight
            await asyncio.sleep(0.01)
        data, piece, drop_after = (self.answers.popleft() if self.answers else
                                   (json.dumps({"name": OPERATION, "done": False}).encode(), 0,
                                    None))
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(data)
        await response.prepare(request)
        if drop_after is not None:  # the connection lost mid-body
            await response.write(data[:drop_after])
            await asyncio.sleep(0.05)
            request.transport.close()
            return response
        for start in range(0, len(data), piece or len(data) or 1):
            await response.write(data[start:start + (piece or len(data))])
            if piece:
                await asyncio.sleep(0.001)  # each piece its own read at the client
        await response.write_eof()
        return response


@pytest.fixture
def wire():
    scripted = Wire()
    scripted.server.start("scripted-vertex")
    yield scripted
    scripted.server.stop()


def token() -> google.oauth2.credentials.Credentials:
    """Credentials that are already valid: the scripted endpoint checks no token."""
    return google.oauth2.credentials.Credentials(token="wire-token")


def wire_settings(wire: Wire, **overrides) -> Settings:
    values = dict(RETAKE_VIDEO_BACKEND="veo", google_api_key=None, google_cloud_project="p",
                  google_cloud_location="us-central1", google_application_credentials=None,
                  veo_base_url=wire.url, veo_output_gcs_uri=None, veo_timeout_seconds=5.0)
    values.update(overrides)
    return Settings(**values)


def emulator_settings(emulator: VeoEmulator, tmp_path: Path, **overrides) -> Settings:
    emulator.configure(static_token=False)  # only tokens from the real OAuth exchange
    values = dict(RETAKE_VIDEO_BACKEND="veo", google_api_key=None,
                  google_cloud_project=emulator.project, google_cloud_location=emulator.location,
                  google_application_credentials=emulator.write_service_account_key(
                      tmp_path / "sa.json"),
                  veo_base_url=emulator.base_url, veo_output_gcs_uri=None,
                  veo_timeout_seconds=5.0)
    values.update(overrides)
    return Settings(**values)


def request(**changes) -> GenerationRequest:
    values = dict(regeneration_id=f"direct-{uuid4()}", job_id=uuid4(), clip_index=0,
                  model=MODEL, prompt="Maya on the rooftop at night", seed=7,
                  duration_seconds=8, aspect_ratio="16:9", generate_audio=True)
    values.update(changes)
    return GenerationRequest(**values)


def done(response: dict | None = None, **fields) -> dict:
    answer = {"name": OPERATION, "done": True, **fields}
    if response is not None:
        answer["response"] = response
    return answer


async def read_all(chunks) -> bytes:
    return b"".join([chunk async for chunk in chunks])


# --- where calls go, who signs them --------------------------------------------------


def test_vertex_endpoint_is_the_global_host_for_global_and_a_regional_one_otherwise():
    assert vertex_endpoint("global", None) == "https://aiplatform.googleapis.com/v1beta1/"
    # A location read at run time is not the interned literal: `is` would miss it.
    assert vertex_endpoint("".join(["glo", "bal"]), None) == (
        "https://aiplatform.googleapis.com/v1beta1/")
    for region in ("asia-east1", "us-central1", "europe-west4"):  # before and after "global"
        assert vertex_endpoint(region, None) == f"https://{region}-aiplatform.googleapis.com/v1beta1/"
    for base in ("http://127.0.0.1:9/veo", "http://127.0.0.1:9/veo/"):  # a custom base URL
        assert vertex_endpoint("global", base) == "http://127.0.0.1:9/veo/v1beta1/"


def test_setup_problems_say_what_to_set():
    assert veo_setup_problem(Settings(RETAKE_VIDEO_BACKEND="veo", google_cloud_project="p",
                                      google_api_key=None)) is None
    express = veo_setup_problem(Settings(RETAKE_VIDEO_BACKEND="veo", google_cloud_project=None,
                                         google_api_key=SecretStr("k")))
    assert express.startswith("GOOGLE_API_KEY alone (Vertex AI express mode) cannot run Veo")
    nothing = veo_setup_problem(Settings(RETAKE_VIDEO_BACKEND="veo", google_cloud_project=None,
                                         google_api_key=None))
    assert nothing.startswith("RETAKE_VIDEO_BACKEND=veo needs GOOGLE_CLOUD_PROJECT")


@pytest.fixture
def no_adc(monkeypatch, tmp_path):
    """No Application Default Credentials anywhere: google.auth.default finds none."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_QUOTA_PROJECT", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # no metadata server to ask
    return monkeypatch


def test_a_service_account_key_file_is_loaded_by_name_with_the_cloud_platform_scope(
    veo_emulator, tmp_path, no_adc
):
    key = veo_emulator.write_service_account_key(tmp_path / "sa.json")
    settings = Settings(google_application_credentials=key)
    credentials = load_credentials(settings)
    assert isinstance(credentials, service_account.Credentials)
    assert credentials.service_account_email == json.loads(key.read_text())["client_email"]
    assert credentials.scopes == [CLOUD_PLATFORM_SCOPE] and credentials.quota_project_id is None
    no_adc.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-project")
    assert load_credentials(settings).quota_project_id == "billing-project"


def test_an_authorized_user_file_is_loaded_by_name_with_the_cloud_platform_scope(
    tmp_path, no_adc
):
    path = tmp_path / "adc.json"
    path.write_text(json.dumps({"type": "authorized_user", "client_id": "id.apps",
                                "client_secret": "shh", "refresh_token": "1//refresh"}))
    settings = Settings(google_application_credentials=path)
    credentials = load_credentials(settings)
    assert isinstance(credentials, google.oauth2.credentials.Credentials)
    assert credentials.refresh_token == "1//refresh" and credentials.client_id == "id.apps"
    assert credentials.scopes == [CLOUD_PLATFORM_SCOPE] and credentials.quota_project_id is None
    no_adc.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-project")
    assert load_credentials(settings).quota_project_id == "billing-project"


def test_without_a_named_file_google_auths_own_search_is_used(veo_emulator, tmp_path, no_adc):
    key = veo_emulator.write_service_account_key(tmp_path / "env.json", name="from-env")
    no_adc.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    credentials = load_credentials(Settings(google_application_credentials=None))
    assert credentials.service_account_email == json.loads(key.read_text())["client_email"]
    assert credentials.scopes == [CLOUD_PLATFORM_SCOPE]


def test_unusable_credentials_are_one_value_error_that_says_what_to_set(tmp_path, no_adc):
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"type": "service_account"}))
    cases = [(tmp_path / "missing.json", "FileNotFoundError"),  # OSError
             (garbled, "JSONDecodeError"),  # ValueError
             (incomplete, "MalformedError"),  # google-auth: not a usable key
             (None, "DefaultCredentialsError")]  # GoogleAuthError: no ADC at all
    for path, cause in cases:
        with pytest.raises(ValueError) as info:
            load_credentials(Settings(google_application_credentials=path))
        assert type(info.value) is ValueError, path
        message = str(info.value)
        assert message.startswith(f"No usable Google credentials for Veo on Vertex AI ({cause}")
        assert "GOOGLE_APPLICATION_CREDENTIALS" in message and info.value.__cause__ is None


def test_from_settings_uses_the_credentials_given_and_warns_about_an_ignored_api_key(
    wire, caplog
):
    caplog.set_level(logging.WARNING, logger="activities.video.veo_backend")
    # The key file named does not exist: the credentials given are used, not loaded.
    settings = wire_settings(wire, google_application_credentials=Path("/nonexistent.json"))
    backend = VertexVeoBackend.from_settings(settings, credentials=token())
    assert backend.name == "veo" and caplog.records == []
    asyncio.run(backend.aclose())
    keyed = wire_settings(wire, google_api_key=SecretStr("AIza-ignored"))
    backend = VertexVeoBackend.from_settings(keyed, credentials=token())
    [record] = caplog.records
    assert record.getMessage().startswith("GOOGLE_API_KEY is ignored for Veo")
    asyncio.run(backend.aclose())
    with pytest.raises(ValueError, match="express mode"):
        VertexVeoBackend.from_settings(wire_settings(wire, google_cloud_project=None,
                                                     google_api_key=SecretStr("k")))


# --- submit ----------------------------------------------------------------------------


async def test_submit_asks_for_one_video_at_the_workers_resolution(fresh_veo_emulator, tmp_path):
    settings = emulator_settings(fresh_veo_emulator, tmp_path, RETAKE_VEO_RESOLUTION="720p")
    backend = VertexVeoBackend.from_settings(settings)  # Application Default Credentials
    try:
        accepted = await backend.submit(request())
    finally:
        await backend.aclose()
    [sent] = fresh_veo_emulator.submissions()
    assert accepted.operation_name == sent["operation_name"]
    assert sent["parameters"]["sampleCount"] == 1  # a second video would be paid too
    assert sent["parameters"]["resolution"] == "720p"
    assert fresh_veo_emulator.counters()["tokens_issued"] == 1


async def test_the_sdk_is_told_the_timeout_in_milliseconds(wire):
    """google-genai sends its timeout as X-Server-Timeout, whole seconds rounded up."""
    for seconds, header in ((5.0, "5"), (5.002, "6")):
        backend = VertexVeoBackend.from_settings(
            wire_settings(wire, veo_timeout_seconds=seconds), credentials=token())
        wire.queue({"name": OPERATION})
        try:
            accepted = await backend.submit(request())
        finally:
            await backend.aclose()
        assert accepted.operation_name == OPERATION
        assert wire.seen[-1]["path"].endswith(f"/{MODEL}:predictLongRunning")
        assert wire.seen[-1]["headers"]["X-Server-Timeout"] == header, seconds


async def test_an_answer_without_an_operation_name_is_of_unknown_outcome(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    wire.queue({"done": False})
    try:
        with pytest.raises(ApplicationError) as info:
            await backend.submit(request())
    finally:
        await backend.aclose()
    assert info.value.type == SUBMISSION_OUTCOME_UNKNOWN and not info.value.non_retryable


async def test_continuity_frames_are_read_from_the_frame_store_and_sent_inline(
    fresh_veo_emulator, tmp_path
):
    store = tmp_path / "store"
    store.mkdir()
    first, last = tiny_image("PNG"), tiny_image("JPEG")
    job = uuid4()
    refs = {}
    for end, data in (("first", first), ("last", last)):
        refs[end] = frame_ref(job, 1, 2, end, data)
        (store / refs[end].name).parent.mkdir(parents=True, exist_ok=True)
        (store / refs[end].name).write_bytes(data)
    settings = emulator_settings(fresh_veo_emulator, tmp_path)
    frameless = VertexVeoBackend.from_settings(settings)
    backend = VertexVeoBackend.from_settings(settings, frames=FrameReader(store))
    try:
        with pytest.raises(ApplicationError) as info:
            await frameless.submit(request(first_frame=refs["first"]))
        assert info.value.type == INVALID_INPUT and info.value.non_retryable
        assert "no frame store" in info.value.message
        assert fresh_veo_emulator.submissions() == []  # refused before anything was paid
        await backend.submit(request(first_frame=refs["first"], last_frame=refs["last"]))
    finally:
        await frameless.aclose()
        await backend.aclose()
    [sent] = fresh_veo_emulator.submissions()
    instance = sent["instances"][0]
    assert base64.b64decode(instance["image"]["bytesBase64Encoded"]) == first
    assert base64.b64decode(instance["lastFrame"]["bytesBase64Encoded"]) == last


# --- check, check_and_open, open_video ---------------------------------------------------


async def test_a_video_in_cloud_storage_is_checked_opened_and_fetched_by_its_uri(
    fresh_veo_emulator, tmp_path
):
    settings = emulator_settings(fresh_veo_emulator, tmp_path, veo_output_gcs_uri="gs://out/v")
    backend = VertexVeoBackend.from_settings(settings)
    try:
        fresh_veo_emulator.configure(job_seconds=3600)
        running = await backend.submit(request())
        async with backend.check_and_open(running.operation_name) as (status, fetched):
            assert status.state == GenerationState.RUNNING and fetched is None
        fresh_veo_emulator.configure(job_seconds=0)
        finished = await backend.submit(request(seed=8))
        uri = f"gs://out/v/{finished.operation_name.rsplit('/', 1)[-1]}/sample_0.mp4"
        assert (await backend.check(finished.operation_name)).video_gcs_uri == uri
        async with backend.check_and_open(finished.operation_name) as (status, fetched):
            assert status.state == GenerationState.SUCCEEDED and status.video_gcs_uri == uri
            assert fetched.uri == uri and fetched.chunks is None
        async with backend.open_video(finished.operation_name) as fetched:
            assert fetched.uri == uri and fetched.chunks is None
    finally:
        await backend.aclose()


async def test_an_inline_video_sent_in_pieces_is_decoded_whole(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    encoded = base64.b64encode(VIDEO).decode()
    answer = done({"videos": [{"bytesBase64Encoded": encoded, "mimeType": "video/mp4"}]})
    try:
        wire.queue(answer, piece=997)
        async with backend.check_and_open(OPERATION) as (status, fetched):
            assert status.state == GenerationState.SUCCEEDED and fetched.uri is None
            assert await read_all(fetched.chunks) == VIDEO
        wire.queue(answer, piece=997)
        async with backend.open_video(OPERATION) as fetched:
            assert await read_all(fetched.chunks) == VIDEO
        # The status check skips the video: it is decoded when fetched, not when checked.
        wire.queue(done({"videos": [{"bytesBase64Encoded": "!not base64!"}]}), piece=5)
        assert (await backend.check(OPERATION)).state == GenerationState.SUCCEEDED
    finally:
        await backend.aclose()
    assert [s["json"] for s in wire.seen] == [{"operationName": OPERATION}] * 3
    assert wire.seen[0]["path"] == f"/v1beta1/{OPERATION.rpartition('/operations/')[0]}" \
        ":fetchPredictOperation"


async def test_a_body_cut_inside_the_video_is_a_retryable_fetch(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    cut = json.dumps(done({"videos": [{"bytesBase64Encoded": "AAAA"}]}))
    wire.queue(cut[:cut.index("AAAA") + 8].encode(), piece=7)  # ends inside the value
    try:
        with pytest.raises(ApplicationError) as info:
            async with backend.open_video(OPERATION) as fetched:
                await read_all(fetched.chunks)
    finally:
        await backend.aclose()
    assert info.value.type == PROVIDER_UNAVAILABLE and not info.value.non_retryable
    assert info.value.message.startswith("Veo's answer for the video was cut short or garbled")


async def test_what_a_finished_operation_reads_as(wire):
    backend = VertexVeoBackend.from_settings(
        wire_settings(wire, google_api_key=SecretStr("AIza-secret-key")), credentials=token())
    checks = [
        # The first of two videos (one is asked for; a second would be another's).
        (done({"videos": [{"gcsUri": "gs://b/first.mp4"}, {"gcsUri": "gs://b/second.mp4"}]}),
         dict(state=GenerationState.SUCCEEDED, video_gcs_uri="gs://b/first.mp4")),
        # Filtered: a count alone, or reasons alone.
        (done({"raiMediaFilteredCount": 1}),
         dict(state=GenerationState.FILTERED, filter_reasons=[])),
        (done({"raiMediaFilteredReasons": ["Violence"]}),
         dict(state=GenerationState.FILTERED, filter_reasons=["Violence"])),
        # Done with an empty response, or none at all: a failure that says so.
        (done({}), dict(state=GenerationState.FAILED, error_message=(
            "Veo finished the operation without a video or a filter reason."))),
        (done(), dict(state=GenerationState.FAILED, error_code=None)),
        # Errors: the message cut at 500 characters, secrets redacted, odd codes dropped.
        (done(error={"code": 13, "message": "x" * 499 + "yz" + "w" * 100}),
         dict(state=GenerationState.FAILED, error_code=13, error_message="x" * 499 + "y")),
        (done(error={"code": "INTERNAL", "message": "key AIza-secret-key refused"}),
         dict(state=GenerationState.FAILED, error_code=None,
              error_message="key [redacted] refused")),
        (done(error={"message": "no code"}),
         dict(state=GenerationState.FAILED, error_code=None, error_message="no code")),
        (done(error={"code": 9}),
         dict(state=GenerationState.FAILED, error_code=9, error_message="no message")),
    ]
    try:
        for answer, expected in checks:
            wire.queue(answer)
            status = await backend.check(OPERATION)
            assert status.model_dump(include=set(expected)) == expected, answer
    finally:
        await backend.aclose()


async def test_an_answer_that_is_not_an_operation_is_a_retryable_check(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    try:
        for answer in (b'{"name": "cut', {"name": OPERATION, "done": {"not": "a bool"}}):
            wire.queue(answer)
            with pytest.raises(ApplicationError) as info:
                await backend.check(OPERATION)
            assert info.value.type == PROVIDER_UNAVAILABLE and not info.value.non_retryable
            assert "unreadable JSON" in info.value.message, answer
    finally:
        await backend.aclose()


async def test_a_finished_operation_without_a_video_uri_has_nothing_to_open(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    try:
        for answer in (done({"videos": [{"mimeType": "video/mp4"}]}), done({}),
                       {"name": OPERATION, "done": False}):
            wire.queue(answer)
            with pytest.raises(ApplicationError) as info:
                async with backend.open_video(OPERATION):
                    pass
            assert info.value.type == GENERATION_FAILED and info.value.non_retryable
            assert f"Operation {OPERATION} has no finished video" in info.value.message
    finally:
        await backend.aclose()


async def test_a_backend_built_bare_has_its_own_reference_loader_and_no_secrets(wire):
    client = genai.Client(vertexai=True, project="p", location="us-central1",
                          credentials=token(), http_options=types.HttpOptions(base_url=wire.url))
    backend = VertexVeoBackend(client, http_client=httpx.AsyncClient(), credentials=token(),
                               endpoint=f"{wire.url}/v1beta1/", scope="projects/p/locations/l/")
    wire.queue({"name": OPERATION})
    wire.queue(done(error={"code": 3, "message": "nothing to hide"}))
    try:
        # The default policy: no bucket is allowed, so a gs:// reference is dropped, said why.
        accepted = await backend.submit(request(reference_image_urls=["gs://refs/a.png"]))
        assert accepted.reference_image_urls == []
        assert "RETAKE_REFERENCE_BUCKETS" in accepted.references_dropped[0]
        status = await backend.check("publishers/google/models/m/operations/2")  # short name
        assert status.error_message == "nothing to hide"
    finally:
        await backend.aclose()
    # A name without its project is sent under the backend's own scope.
    assert wire.seen[-1]["path"] == (
        "/v1beta1/projects/p/locations/l/publishers/google/models/m:fetchPredictOperation")


async def test_the_pool_holds_200_connections_and_keeps_50_alive(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    wire.release.clear()  # every answer held until counted
    try:
        checks = asyncio.gather(*(backend.check(OPERATION) for _ in range(201)))
        deadline = time.monotonic() + 5
        while len(wire.seen) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # a 201st connection would have arrived by now
        in_flight = len(wire.seen)
        wire.release.set()
        statuses = await checks
        deadline = time.monotonic() + 3
        while wire.open_connections() > 50 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        kept = wire.open_connections()
    finally:
        wire.release.set()
        await backend.aclose()
    assert in_flight == 200 and len(wire.seen) == 201
    assert {s.state for s in statuses} == {GenerationState.RUNNING}
    assert kept == 50


async def test_a_connection_lost_mid_body_is_a_retryable_unreachable_provider(wire):
    backend = VertexVeoBackend.from_settings(wire_settings(wire), credentials=token())
    encoded = base64.b64encode(VIDEO).decode()
    answer = json.dumps(done({"videos": [{"bytesBase64Encoded": encoded}]})).encode()
    try:
        wire.queue(answer, drop_after=len(answer) // 2)  # inside the video
        with pytest.raises(ApplicationError) as fetching:
            async with backend.open_video(OPERATION) as fetched:
                await read_all(fetched.chunks)
        wire.queue(answer, drop_after=len(answer) // 2)
        with pytest.raises(ApplicationError) as checking:
            await backend.check(OPERATION)
    finally:
        await backend.aclose()
    for info in (fetching, checking):
        assert info.value.type == PROVIDER_UNAVAILABLE and not info.value.non_retryable
        assert info.value.message.startswith("Vertex Veo could not be reached (")
