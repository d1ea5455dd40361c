"""LocalVideoStore: deterministic keys, atomic writes, content hash and size, URLs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from uuid import UUID

import pytest
from temporalio.exceptions import ApplicationError

from activities.video.store import (
    LocalVideoStore,
    remote_video,
    safe_name,
    video_key,
    write_atomically,
)
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


def test_a_long_or_unsafe_id_is_cut_to_150_characters_and_tagged_with_its_hash():
    long = "a" * 200  # only cut: the cut name sorts before the id, yet is changed
    assert safe_name(long) == "a" * 150 + "-" + hashlib.sha256(long.encode()).hexdigest()[:12]
    tilde = "a~b"  # '~' sorts after the '_' that replaces it
    assert safe_name(tilde) == "a_b-" + hashlib.sha256(tilde.encode()).hexdigest()[:12]
    assert safe_name("r.1_b-2") == "r.1_b-2"  # a safe id is itself


async def chunks_of(*parts: bytes):
    for part in parts:
        yield part


async def test_put_stream_writes_the_chunks_with_their_hash_and_size_twice_over(tmp_path: Path):
    store = LocalVideoStore(tmp_path / "new" / "videos")  # folders made on the way
    data = [b"\x00\x00\x00\x18ftypmp42", os.urandom(300), b"end"]
    key = video_key(JOB, 5, "wf/run/1")
    for _ in range(2):  # the same key again: the same record, folders already there
        stored = await store.put_stream(key, chunks_of(*data), "veo")
        assert (tmp_path / "new" / "videos" / key).read_bytes() == b"".join(data)
        assert stored.sha256 == hashlib.sha256(b"".join(data)).hexdigest()
        assert stored.size_bytes == len(b"".join(data))
        assert list((tmp_path / "new" / "videos" / ".incoming").iterdir()) == []
    other = await store.put_stream(video_key(JOB, 5, "wf/run/2"), chunks_of(b"x"), "veo")
    assert other.size_bytes == 1  # the next clip's folder already exists
    assert await store.find(key, "veo") == stored


async def test_put_file_moves_a_scratch_file_into_place_and_find_hashes_it(tmp_path: Path):
    store = LocalVideoStore(tmp_path / "a" / "b")
    for regeneration in ("r1", "r2"):  # the second finds the clip's folder already made
        with store.scratch_file() as scratch:
            assert scratch.parent == tmp_path / "a" / "b" / ".incoming"
            assert scratch.suffix == ".mp4"
            scratch.write_bytes(regeneration.encode() * 100)
            key = video_key(JOB, 6, regeneration)
            stored = await store.put_file(key, scratch, "veo")
        assert not scratch.exists()
        assert stored.size_bytes == 200
        assert stored.sha256 == hashlib.sha256(regeneration.encode() * 100).hexdigest()
        assert await store.find(key, "veo") == stored
    with store.scratch_file(".tmp") as unused:
        assert unused.exists() and unused.suffix == ".tmp"
    assert not unused.exists()


def test_a_failed_atomic_write_leaves_neither_file_nor_temp(tmp_path: Path):
    path = tmp_path / "v" / "x.mp4"
    with pytest.raises(TypeError):
        write_atomically(path, "text, not bytes")  # type: ignore[arg-type]
    assert list(path.parent.iterdir()) == []
