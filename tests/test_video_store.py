"""LocalVideoStore: deterministic keys, atomic writes, content hash and size, URLs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from uuid import UUID

import pytest
from temporalio.exceptions import ApplicationError

from activities.video.store import LocalVideoStore, remote_video, safe_name, video_key
from workflows.error_types import INVALID_INPUT

JOB = UUID("550e8400-e29b-41d4-a716-446655440000")


def test_key_is_deterministic_per_job_clip_and_regeneration():
    assert video_key(JOB, 3, "regen-1") == f"jobs/{JOB}/clips/3/regen-1.mp4"
    assert video_key(JOB, 3, "regen-1") == video_key(JOB, 3, "regen-1")
    assert video_key(JOB, 3, "regen-1") != video_key(JOB, 4, "regen-1")


def test_workflow_style_ids_become_one_safe_unique_file_name():
    a = safe_name("retake-job/clip-3/run-abc")
    b = safe_name("retake-job_clip-3_run-abc")  # the same after replacing '/', yet distinct
    assert "/" not in a and a != b
    assert safe_name("../../etc/passwd") != "../../etc/passwd"
    assert "/" not in safe_name("../../etc/passwd")
    assert safe_name("retake-job/clip-3/run-abc") == a  # deterministic


def test_empty_id_is_refused_as_invalid_input():
    with pytest.raises(ApplicationError) as info:
        safe_name("")
    assert info.value.type == INVALID_INPUT and info.value.non_retryable


async def test_put_writes_bytes_with_sha256_and_size(tmp_path: Path):
    store = LocalVideoStore(tmp_path)
    data = b"\x00\x00\x00\x18ftypmp42" + os.urandom(256)
    key = video_key(JOB, 3, "wf/run/0")
    stored = await store.put(key, data, "veo")

    path = tmp_path / key
    assert path.read_bytes() == data
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size_bytes == len(data)
    assert stored.url == path.resolve().as_uri()
    assert stored.backend == "veo"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


async def test_put_is_idempotent_and_find_returns_the_same_record(tmp_path: Path):
    store = LocalVideoStore(tmp_path)
    key = video_key(JOB, 1, "regen-2")
    first = await store.put(key, b"same bytes", "preview")
    second = await store.put(key, b"same bytes", "preview")
    assert first == second
    assert await store.find(key, "preview") == first
    assert await store.find(video_key(JOB, 1, "other"), "preview") is None


async def test_replacement_is_atomic_readers_never_see_a_partial_file(tmp_path: Path):
    store = LocalVideoStore(tmp_path)
    key = video_key(JOB, 0, "regen-3")
    await store.put(key, b"old" * 1000, "veo")
    # os.replace swaps the directory entry: an open handle keeps reading the old inode.
    with open(tmp_path / key, "rb") as reader:
        await store.put(key, b"new" * 1000, "veo")
        assert reader.read() == b"old" * 1000
    assert (tmp_path / key).read_bytes() == b"new" * 1000


async def test_public_base_url_prefixes_the_key(tmp_path: Path):
    store = LocalVideoStore(tmp_path, public_base_url="https://cdn.example.com/videos/")
    key = video_key(JOB, 2, "regen-4")
    stored = await store.put(key, b"v", "veo")
    assert stored.url == f"https://cdn.example.com/videos/{key}"


async def test_a_key_leaving_the_root_is_refused(tmp_path: Path):
    store = LocalVideoStore(tmp_path / "videos")
    with pytest.raises(ApplicationError) as info:
        await store.put("../outside.mp4", b"v", "veo")
    assert info.value.type == INVALID_INPUT
    assert not (tmp_path / "outside.mp4").exists()


def test_gcs_result_is_recorded_as_is():
    stored = remote_video("gs://bucket/retake/op-1/sample_0.mp4", "veo")
    assert stored.url == "gs://bucket/retake/op-1/sample_0.mp4"
    assert stored.sha256 is None and stored.size_bytes is None
