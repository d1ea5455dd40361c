"""Continuity measured from the files: frames extracted with ffmpeg, the preview backend's
render joined to them, the cut keeping the joined end (PSNR above JOIN_PSNR_DB).

The neighbours are real preview renders, so the frames are real video frames that went
through H.264; the threshold allows for that encoding and no more (an unrelated frame
scores about 10-15 dB).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from uuid import uuid4

import numpy as np
import pytest
from PIL import Image

from activities.video.frames import FrameReader, extract_frame, frame_ref
from activities.video.preview_backend import PreviewVideoBackend
from activities.video.store import write_atomically
from activities.video.trim import trim_mp4_file
from tests.emulators.media import probe
from workflows.step_models import GenerationRequest

JOIN_PSNR_DB = 30.0  # a joined end must match the neighbour's frame at least this well


def psnr(a: bytes, b: bytes) -> float:
    x = np.asarray(Image.open(io.BytesIO(a)).convert("RGB"), dtype=np.float64)
    y = np.asarray(Image.open(io.BytesIO(b)).convert("RGB").resize(x.shape[1::-1]),
                   dtype=np.float64)
    mse = float(np.mean((x - y) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def request(clip: int, seed: int, prompt: str, **frames) -> GenerationRequest:
    return GenerationRequest(regeneration_id=f"r{clip}-{seed}", job_id=uuid4(), clip_index=clip,
                             model="veo-3.1-generate-001", prompt=prompt, seed=seed,
                             duration_seconds=8, **frames)


@pytest.fixture
def world(tmp_path: Path):
    backend = PreviewVideoBackend(tmp_path / "spool", frames=FrameReader(tmp_path / "store"))
    job = uuid4()

    def video(name: str, req: GenerationRequest) -> Path:
        path = tmp_path / f"{name}.mp4"
        path.write_bytes(backend.render(req))
        return path

    def stored_frame(clip: int, version: int, end: str, path: Path):
        data = extract_frame(path, end)
        ref = frame_ref(job, clip, version, end, data)
        write_atomically(tmp_path / "store" / ref.name, data)
        return ref, data

    return backend, video, stored_frame, tmp_path


def test_an_unrelated_clip_does_not_pass_the_threshold(world) -> None:
    _, video, stored_frame, _ = world
    _, a = stored_frame(1, 1, "last", video("a", request(1, 11, "a red car at dawn")))
    _, b = stored_frame(2, 1, "first", video("b", request(2, 22, "a pier at night")))
    print("PSNR unrelated:", psnr(a, b))
    assert psnr(a, b) < JOIN_PSNR_DB


def test_both_ends_join_the_neighbours_current_frames(world) -> None:
    backend, video, stored_frame, tmp = world
    prev_ref, prev_last = stored_frame(1, 3, "last", video("prev", request(1, 11, "red car")))
    next_ref, next_first = stored_frame(3, 2, "first", video("next", request(3, 33, "blue sea")))
    joined = video("joined", request(2, 22, "a dancer", first_frame=prev_ref, last_frame=next_ref))
    print("PSNR first, last:", psnr(extract_frame(joined, "first"), prev_last),
          psnr(extract_frame(joined, "last"), next_first))
    assert psnr(extract_frame(joined, "first"), prev_last) > JOIN_PSNR_DB
    assert psnr(extract_frame(joined, "last"), next_first) > JOIN_PSNR_DB


def test_a_cut_keeps_the_joined_end(world) -> None:
    backend, video, stored_frame, tmp = world
    prev_ref, prev_last = stored_frame(1, 1, "last", video("prev", request(1, 11, "red car")))
    own_ref, _ = stored_frame(2, 1, "first", video("own", request(2, 5, "a dancer")))
    next_ref, next_first = stored_frame(3, 1, "first", video("next", request(3, 33, "blue sea")))

    # A fractional slot (issue 35): 5.5 s kept, within one frame (the preview: 12 fps).
    from_previous = video("fp", request(2, 22, "a dancer", first_frame=prev_ref))
    trim_mp4_file(from_previous, tmp / "fp-cut.mp4", 5.5, keep="start")
    assert psnr(extract_frame(tmp / "fp-cut.mp4", "first"), prev_last) > JOIN_PSNR_DB
    assert abs(probe((tmp / "fp-cut.mp4").read_bytes())["duration"] - 5.5) <= 1 / 12

    into_next = video("in", request(2, 22, "a dancer", first_frame=own_ref, last_frame=next_ref))
    trim_mp4_file(into_next, tmp / "in-cut.mp4", 5.5, keep="end")
    assert psnr(extract_frame(tmp / "in-cut.mp4", "last"), next_first) > JOIN_PSNR_DB
    assert abs(probe((tmp / "in-cut.mp4").read_bytes())["duration"] - 5.5) <= 1 / 12


async def test_the_preview_backend_refuses_what_veo_refuses_about_frames(world) -> None:
    from temporalio.exceptions import ApplicationError

    backend, video, stored_frame, _ = world
    ref, _ = stored_frame(1, 1, "last", video("prev", request(1, 11, "red car")))
    with pytest.raises(ApplicationError, match="lastFrame can only be sent with a first frame"):
        await backend.submit(request(2, 2, "x", last_frame=ref))
    bad = request(2, 2, "x", first_frame=ref, last_frame=ref).model_copy(
        update={"duration_seconds": 6})
    with pytest.raises(ApplicationError, match="lastFrame needs durationSeconds"):
        await backend.submit(bad)
