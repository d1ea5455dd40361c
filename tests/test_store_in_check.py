"""Issue 34, point 2: the status check that finds the video done stores it from the same
answer (patch store-in-final-check). Counted at the Veo emulator: one fetch of the
finished operation, none to store; a retried attempt after the store asks Veo nothing;
the stored file is the cut video. Through the workflow: no store task in the history."""

from __future__ import annotations

import hashlib
from pathlib import Path
from uuid import uuid4

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError

from activities.job_store.sample_data import load_sample_job
from activities.video.store import video_key
from retake.client import start_regeneration
from tests.emulators.media import probe, video_mp4
from tests.support.job_rows import set_stage, stage_metadata, version_problems
from tests.support.temporal import retake_settings
from tests.test_veo_activity import env_at_attempt, generation, video  # noqa: F401 (fixture)
from tests.test_workflow_e2e import request
from workflows.error_types import GENERATION_PENDING
from workflows.step_models import GenerationState, StoreTarget, WaitRequest


def wait_and_store(operation_name: str, req, delivered: float | None) -> WaitRequest:
    return WaitRequest(operation_name=operation_name, backend="veo", store=StoreTarget(
        job_id=req.job_id, clip_index=req.clip_index, regeneration_id=req.regeneration_id,
        delivered_seconds=delivered))


async def test_the_check_that_finds_it_done_stores_it_from_the_same_answer(
    video, fresh_veo_emulator, sample_job_id, tmp_path  # noqa: F811
):
    veo = fresh_veo_emulator
    veo.configure(job_seconds=0.3)
    req = generation(sample_job_id, clip_index=3)
    submission = await env_at_attempt(1).run(video.submit_generation, req)
    wait = wait_and_store(submission.operation_name, req, delivered=5.5)
    with pytest.raises(ApplicationError) as pending:  # still running: nothing stored
        await env_at_attempt(1).run(video.wait_for_generation, wait)
    assert pending.value.type == GENERATION_PENDING
    path = tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)
    assert not path.exists()
    import asyncio
    await asyncio.sleep(0.4)
    status = await env_at_attempt(2).run(video.wait_for_generation, wait)
    assert status.state == GenerationState.SUCCEEDED and status.stored is not None
    assert veo.counters()["polls_per_operation"][submission.operation_name] == 2  # checks only
    assert status.stored.url == path.resolve().as_uri() and status.stored.trimmed_to_seconds == 5.5
    measured = probe(path.read_bytes())
    assert abs(measured["duration"] - 5.5) <= 1 / 8  # a fractional slot, within one frame
    assert status.stored.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # A retry of that attempt (the worker died after the store): nothing asked of Veo.
    again = await env_at_attempt(3).run(video.wait_for_generation, wait)
    assert again.stored == status.stored
    assert veo.counters()["polls_per_operation"][submission.operation_name] == 2
    assert len(veo.paid_submissions()) == 1


async def test_a_whole_video_is_stored_byte_for_byte_when_no_cut_is_asked(
    video, fresh_veo_emulator, sample_job_id, tmp_path  # noqa: F811
):
    req = generation(sample_job_id, clip_index=3)
    submission = await env_at_attempt(1).run(video.submit_generation, req)
    status = await env_at_attempt(1).run(
        video.wait_for_generation, wait_and_store(submission.operation_name, req, None))
    path = tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)
    assert path.read_bytes() == video_mp4(8, "16:9", True)  # what Veo returned, whole
    assert status.stored.trimmed_to_seconds is None
    assert fresh_veo_emulator.counters()["polls"] == 1  # the one fetch that found it done


async def test_a_regeneration_stores_in_its_final_check_with_no_store_task(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, quick_veo
):
    job = await load_sample_job(db_pool, job_id=uuid4())
    # A fractional slot (issue 35): clip 3 lasts 5.5 s, so the video is cut to 5.5 s.
    video_stage = await stage_metadata(db_pool, job, "video_generator")
    video_stage["clips"]["clips"][3]["target_duration"] = 5.5
    await set_stage(db_pool, job, "video_generator", video_stage)
    async with run_worker(retake_settings(tmp_path, veo=quick_veo)):
        handle = await start_regeneration(temporal_client, request(job, 3, "make it nighttime"),
                                          task_queue=task_queue)
        result = await handle.result()
    [paid] = quick_veo.paid_submissions()
    checks = quick_veo.counters()["polls_per_operation"][paid["operation_name"]]
    activities = [e.activity_task_scheduled_event_attributes.activity_type.name
                  async for e in handle.fetch_history_events()
                  if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]
    assert "store_generated_video" not in activities and "wait_for_generation" in activities
    assert result.polls == checks  # every fetch of the operation was a check: no second fetch
    measured = probe(Path(result.video_url.removeprefix("file://")).read_bytes())
    assert result.delivered_seconds == 5.5 and result.generated_seconds > 5.5
    assert abs(measured["duration"] - 5.5) <= 1 / 8  # within one frame (emulator: 8 fps)
    # What is saved says the same length: the clip entry and the version.
    entry = (await stage_metadata(db_pool, job, "video_generator"))["clips"]["clips"][3]
    assert entry["actual_duration"] == 5.5 and entry["video_url"] == result.video_url
    assert await db_pool.fetchval(
        "SELECT duration_seconds FROM clip_versions WHERE job_id = $1 AND clip_index = 3"
        " AND is_current", job) == 5.5
    assert await version_problems(db_pool, job) == []
    assert len(quick_veo.paid_submissions()) == 1
