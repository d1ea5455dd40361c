"""PreviewVideoBackend: a real, playable MP4, deterministic for a seed, behind the backend API."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import imageio.v2 as imageio
import pytest
from temporalio.exceptions import ApplicationError

from activities.video.backend import VideoBackend
from activities.video.preview_backend import PreviewVideoBackend
from workflows.error_types import PROVIDER_BAD_REQUEST, PROVIDER_NOT_FOUND
from workflows.step_models import GenerationRequest, GenerationState


def request(seed: int = 42, regeneration_id: str = "wf-1/run-1/0", **changes) -> GenerationRequest:
    return GenerationRequest(
        regeneration_id=regeneration_id,
        job_id=UUID("550e8400-e29b-41d4-a716-446655440000"),
        clip_index=3,
        model="veo-3.1-generate-001",
        prompt="Maya on the rooftop at night, neon signs reflecting on wet concrete",
        seed=seed,
        duration_seconds=8,
        **changes,
    )


def frames_of(data: bytes, tmp_path: Path, name: str) -> list:
    path = tmp_path / name
    path.write_bytes(data)
    with imageio.get_reader(path) as reader:
        return [frame for frame in reader]


def test_implements_the_video_backend_protocol(tmp_path: Path):
    assert isinstance(PreviewVideoBackend(tmp_path), VideoBackend)


async def test_submit_check_fetch_gives_a_playable_mp4(tmp_path: Path):
    backend = PreviewVideoBackend(tmp_path / "spool")
    operation = (await backend.submit(request())).operation_name
    assert operation == "preview/wf-1/run-1/0"

    status = await backend.check(operation)
    assert status.state == GenerationState.SUCCEEDED

    data = await backend.fetch_video(operation)
    frames = frames_of(data, tmp_path, "clip.mp4")
    assert len(frames) == 96  # 8 s asked and rendered, at 12 fps
    assert frames[0].shape == (180, 320, 3)
    assert (frames[0] != frames[-1]).any()  # it moves


async def test_same_seed_same_bytes_other_seed_other_video(tmp_path: Path):
    backend = PreviewVideoBackend(tmp_path)
    first, again = backend.render(request(seed=7)), backend.render(request(seed=7))
    other = backend.render(request(seed=8))
    assert first == again
    assert first != other


async def test_operation_survives_a_new_backend_instance(tmp_path: Path):
    operation = (await PreviewVideoBackend(tmp_path).submit(request(seed=5))).operation_name
    restarted = PreviewVideoBackend(tmp_path)  # as after a worker restart
    assert await restarted.fetch_video(operation) == restarted.render(request(seed=5))


async def test_check_reports_running_until_the_configured_delay(tmp_path: Path):
    backend = PreviewVideoBackend(tmp_path, ready_after_seconds=3600)
    operation = (await backend.submit(request())).operation_name
    assert (await backend.check(operation)).state == GenerationState.RUNNING

    ready = PreviewVideoBackend(tmp_path, ready_after_seconds=0)
    assert (await ready.check(operation)).state == GenerationState.SUCCEEDED


async def test_unknown_operation_is_a_typed_not_found(tmp_path: Path):
    backend = PreviewVideoBackend(tmp_path)
    for name in ("preview/never-submitted", "projects/p/operations/1"):
        with pytest.raises(ApplicationError) as info:
            await backend.check(name)
        assert info.value.type == PROVIDER_NOT_FOUND and info.value.non_retryable


def test_duration_shorter_than_the_cap_is_honoured(tmp_path: Path):
    backend = PreviewVideoBackend(tmp_path, max_seconds=3.0, fps=12)
    frames = frames_of(backend.render(request().model_copy(update={"duration_seconds": 1})),
                       tmp_path, "short.mp4")
    assert len(frames) == 12


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"model": "veo-3.1-generate-preview"}, "retired"),
        ({"duration_seconds": 5}, "durationSeconds 5"),
        ({"duration_seconds": 4, "reference_image_urls": ["gs://b/a.png"]}, "reference images need"),
        ({"aspect_ratio": "9:16", "reference_image_urls": ["gs://b/a.png"]}, "aspectRatio in"),
        ({"model": "veo-3.1-fast-generate-001", "reference_image_urls": ["gs://b/a.png"]},
         "at most 0 reference"),
    ],
)
async def test_preview_refuses_what_the_catalogue_refuses(tmp_path: Path, changes, words):
    backend = PreviewVideoBackend(tmp_path)
    with pytest.raises(ApplicationError) as info:
        await backend.submit(request().model_copy(update=changes))
    assert info.value.type == PROVIDER_BAD_REQUEST and info.value.non_retryable
    assert words in info.value.message
    assert not list(tmp_path.iterdir())  # nothing spooled
