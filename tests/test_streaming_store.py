"""The store step streams: the inline video is decoded as it arrives, hashed as it is
written, never held whole; it heartbeats; in the workflow it is a normal activity."""

from __future__ import annotations

import base64
import hashlib
import json
import tracemalloc
from datetime import timedelta

import google.oauth2.credentials
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.testing import ActivityEnvironment

from activities.config import Settings
from activities.video.inline_video import InlineVideoDecoder, InlineVideoError
from activities.video.preview_backend import PreviewVideoBackend
from activities.video.store import LocalVideoStore, video_key
from activities.video.submission_ledger import SubmissionLedger
from activities.video.veo_backend import VertexVeoBackend
from activities.video.video_activities import VideoActivities
from retake.client import start_regeneration
from tests.emulators.video_feed import VideoFeed, video_sha256
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import record
from workflows.models import RegenerateClipInput, RegenerateOptions
from workflows.step_models import StoreVideoRequest

OPERATION = ("projects/p/locations/us-central1/publishers/google/models/"
             "veo-3.1-generate-001/operations/op-1")


def operation_json(video: bytes, *, spaced: bool, escaped: bool) -> bytes:
    encoded = base64.b64encode(video).decode()
    if escaped:
        encoded = encoded.replace("/", "\\/")  # JSON may escape '/'
    body = json.dumps({"name": "op", "done": True, "response": {"videos": [
        {"bytesBase64Encoded": "@", "mimeType": "video/mp4"}]}},
        separators=(", ", ": ") if spaced else (",", ":"))
    return body.replace('"@"', f'"{encoded}"').encode()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=700), st.booleans(),
       st.booleans())
def test_the_decoder_returns_the_video_whatever_the_chunking(video, size, spaced, escaped):
    body = operation_json(video, spaced=spaced, escaped=escaped)
    decoder = InlineVideoDecoder()
    out = b"".join(decoder.feed(body[i:i + size]) for i in range(0, len(body), size))
    assert out == video
    assert decoder.operation()["response"]["videos"][0] == {"bytesBase64Encoded": "",
                                                            "mimeType": "video/mp4"}
    skipping = InlineVideoDecoder(skip_video=True)
    assert b"".join(skipping.feed(body[i:i + size]) for i in range(0, len(body), size)) == b""
    assert skipping.operation()["done"] is True


def test_a_body_cut_inside_the_video_is_refused():
    body = operation_json(b"x" * 3000, spaced=False, escaped=False)
    decoder = InlineVideoDecoder()
    decoder.feed(body[: len(body) // 2])
    with pytest.raises(InlineVideoError):
        decoder.operation()


async def test_a_failed_stream_leaves_no_file_and_no_scratch(tmp_path):
    store = LocalVideoStore(tmp_path)

    async def broken():
        yield b"a" * 1000
        raise ConnectionError("reset")

    with pytest.raises(ConnectionError):
        await store.put_stream("jobs/x/clips/0/r.mp4", broken(), "veo")
    assert not (tmp_path / "jobs/x/clips/0/r.mp4").exists()
    assert list((tmp_path / ".incoming").iterdir()) == []


@pytest.fixture
def feed():
    server = VideoFeed(video_bytes=24 << 20, bytes_per_second=8 << 20).start()  # ~3 s
    yield server
    server.stop()


async def test_a_large_inline_video_streams_to_the_store_heartbeating_in_little_memory(
    feed, tmp_path, db_pool, sample_job_id
):
    settings_ = Settings(RETAKE_VIDEO_BACKEND="veo", google_cloud_project="p",
                         google_api_key=None, veo_base_url=feed.base_url,
                         RETAKE_DATA_DIR=tmp_path)
    backend = VertexVeoBackend.from_settings(
        settings_, credentials=google.oauth2.credentials.Credentials(token="test-token"))
    video = VideoActivities(backend, LocalVideoStore(tmp_path / "videos"),
                            SubmissionLedger(db_pool), preview=PreviewVideoBackend(tmp_path),
                            ledger_retry_seconds=settings_.ledger_retry_seconds)
    env, beats = ActivityEnvironment(), []
    env.on_heartbeat = lambda *details: beats.append(details)
    request = StoreVideoRequest(operation_name=OPERATION, backend="veo", job_id=sample_job_id,
                                clip_index=0, regeneration_id="stream-test")
    tracemalloc.start()
    try:
        stored = await env.run(video.store_generated_video, request)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await video.aclose()

    path = tmp_path / "videos" / video_key(sample_job_id, 0, "stream-test")
    assert stored.size_bytes == path.stat().st_size == 24 << 20
    assert stored.sha256 == video_sha256(24 << 20)
    with path.open("rb") as handle:
        assert stored.sha256 == hashlib.file_digest(handle, "sha256").hexdigest()
    assert len(beats) >= 2  # alive all through the 3 s download
    assert peak < 8 << 20  # a 24 MB video (32 MB of base64) never held whole
    assert feed.requests == 1


async def test_the_storing_check_is_a_normal_activity_with_a_heartbeat_timeout(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, fresh_veo_emulator
):
    async with run_worker(retake_settings(tmp_path, veo=fresh_veo_emulator)):
        handle = await start_regeneration(temporal_client, RegenerateClipInput(
            job_id=sample_job_id, clip_index=1, instruction="make it a bit brighter",
            options=RegenerateOptions(poll_interval_seconds=0.2, deadline_seconds=600),
        ), task_queue=task_queue)
        assert (await handle.result()).status == "completed"
    await record(handle, "streaming_store")
    history = await handle.fetch_history()
    scheduled = {
        e.activity_task_scheduled_event_attributes.activity_type.name:
            e.activity_task_scheduled_event_attributes
        for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    # Since issue 34 the final status check stores the video: a normal activity (never a
    # local one), on a heartbeat, with the store's attempt timeout; no store task at all.
    store = scheduled["wait_for_generation"]
    assert store.heartbeat_timeout.ToTimedelta() == timedelta(seconds=10)
    assert store.start_to_close_timeout.ToTimedelta() == timedelta(minutes=5)
    assert "store_generated_video" not in scheduled
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert not any(b"wait_for_generation" in e.SerializeToString() for e in markers)
