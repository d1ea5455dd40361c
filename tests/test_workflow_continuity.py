"""Continuity end to end (issue 30): dev server, real Postgres, the preview backend and the
strict Veo emulator at the wire; measured from the stored files.

The neighbours are regenerated first so their current versions are real videos in the
test's store; the joined clip's stored video must start on the previous clip's last
frame and end on the next clip's first frame (PSNR above JOIN_PSNR_DB, after the cut),
and the frames Veo received must hash to the frames extracted from those videos.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest

from activities.video.frames import extract_frame
from tests.support.temporal import retake_settings
from tests.test_continuity_frames import JOIN_PSNR_DB, psnr
from tests.test_workflow_e2e import request, run, versions


def local(url: str) -> Path:
    return Path(url.removeprefix("file://"))


@pytest.fixture
def veo(veo_emulator):
    veo_emulator.reset()
    veo_emulator.configure(job_seconds=0.3, static_token=False)
    return veo_emulator


async def test_both_ends_join_the_current_neighbours_with_the_preview_backend(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    async with run_worker(retake_settings(tmp_path)):
        before = await run(temporal_client, task_queue,
                           request(sample_job_id, 1, "completely regenerate this scene"), "c1")
        after = await run(temporal_client, task_queue,
                          request(sample_job_id, 3, "completely regenerate this scene"), "c3")
        joined = await run(temporal_client, task_queue,
                           request(sample_job_id, 2, "make it flow from the clip before and "
                                   "into the next one"), "c2")

    assert "flow" not in joined.prompt and "next one" not in joined.prompt
    assert "Continuity both" in joined.reasoning and "clip 1 v2" in joined.reasoning
    assert joined.generated_seconds == 8 and joined.delivered_seconds == 8.0  # no cut needed
    video = local(joined.video_url)
    assert psnr(extract_frame(video, "first"),
                extract_frame(local(before.video_url), "last")) > JOIN_PSNR_DB
    assert psnr(extract_frame(video, "last"),
                extract_frame(local(after.video_url), "first")) > JOIN_PSNR_DB

    row = (await versions(db_pool, sample_job_id, 2))[-1]
    saved = (await db_pool.fetchval(
        "SELECT continuity FROM clip_versions WHERE job_id = $1 AND clip_index = 2 "
        "AND version_number = $2", sample_job_id, row["version_number"]))
    assert saved["used"] == "both"
    assert (saved["first_frame"]["clip_index"], saved["first_frame"]["version"]) == (1, 2)
    assert (saved["last_frame"]["clip_index"], saved["last_frame"]["version"]) == (3, 2)


async def test_the_first_clip_has_no_previous_and_the_plan_says_so(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id
):
    async with run_worker(retake_settings(tmp_path)):
        plan = await run(temporal_client, task_queue,
                         request(sample_job_id, 0, "make it flow from the clip before",
                                 dry_run=True), "c0")
    assert plan.status == "planned" and "first clip" in plan.reasoning


async def test_veo_receives_the_extracted_frame_through_the_sdk(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        before = await run(temporal_client, task_queue,
                           request(sample_job_id, 1, "completely regenerate this scene"), "v1")
        await run(temporal_client, task_queue,
                  request(sample_job_id, 2, "completely regenerate this scene",
                          continuity="from_previous"), "v2")
    instance = veo.submissions()[-1]["instances"][0]
    sent = base64.b64decode(instance["image"]["bytesBase64Encoded"])
    extracted = extract_frame(local(before.video_url), "last")
    assert hashlib.sha256(sent).hexdigest() == hashlib.sha256(extracted).hexdigest()
    assert instance["image"]["mimeType"] == "image/png" and "lastFrame" not in instance
    assert "referenceImages" not in instance


async def test_the_versions_list_shows_the_continuity_used(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id
):
    from retake.client import list_versions

    async with run_worker(retake_settings(tmp_path)):
        await run(temporal_client, task_queue,
                  request(sample_job_id, 1, "completely regenerate this scene"), "l1")
        await run(temporal_client, task_queue,
                  request(sample_job_id, 2, "x", continuity="from_previous"), "l2")
        listed = await list_versions(temporal_client, sample_job_id, 2, task_queue=task_queue)
    current = [v for v in listed.versions if v.current][0]
    assert current.continuity["used"] == "from_previous"
    assert current.continuity["first_frame"]["clip_index"] == 1
    assert [v.continuity for v in listed.versions if not v.current] == [None]


async def test_a_neighbour_regenerated_before_confirm_is_refused_typed_and_nothing_is_paid(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    from temporalio.client import WorkflowFailureError

    from retake.client import confirm, plan_regeneration
    from workflows import error_types

    async with run_worker(retake_settings(tmp_path)):
        await run(temporal_client, task_queue,
                  request(sample_job_id, 1, "completely regenerate this scene"), "n1")
        handle, proposal = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "x", continuity="from_previous",
                                     confirm_first=True), task_queue=task_queue)
        assert proposal.plan.continuity.first_frame.version == 2
        await run(temporal_client, task_queue,  # the neighbour changes in between
                  request(sample_job_id, 1, "completely regenerate this scene",
                          request_id="again"), "n1b")
        await confirm(handle, revision=proposal.revision)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert failed.value.cause.type == error_types.NEIGHBOUR_CHANGED
    assert "version 2" in failed.value.cause.message and "version 3" in failed.value.cause.message
    assert await versions(db_pool, sample_job_id, 2) == []  # nothing saved, nothing paid


async def test_starting_a_joined_regeneration_again_pays_nothing_and_keeps_its_frames(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        await run(temporal_client, task_queue,
                  request(sample_job_id, 1, "completely regenerate this scene"), "m1")
        inp = request(sample_job_id, 2, "x", continuity="from_previous").model_copy(
            update={"request_id": "chat-msg-continuity"})
        first = await run(temporal_client, task_queue, inp, "m2")
        paid_before = veo.counters()["submissions_accepted"]
        again = await run(temporal_client, task_queue, inp, "m2b")
    assert paid_before == 2 and veo.counters()["submissions_accepted"] == 2  # not paid again
    assert again.version == first.version and again.video_url == first.video_url
    assert again.continuity.first_frame == first.continuity.first_frame
    saved = await db_pool.fetchval(
        "SELECT continuity FROM clip_versions WHERE job_id = $1 AND clip_index = 2 AND "
        "version_number = $2", sample_job_id, first.version)
    assert saved["first_frame"]["sha256"] == first.continuity.first_frame.sha256


async def test_into_next_at_a_short_slot_is_cut_from_the_start_and_keeps_the_join(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id
):
    async with run_worker(retake_settings(tmp_path)):
        await run(temporal_client, task_queue,
                  request(sample_job_id, 1, "completely regenerate this scene"), "i1")
        after = await run(temporal_client, task_queue,
                          request(sample_job_id, 2, "completely regenerate this scene"), "i2")
        joined = await run(temporal_client, task_queue,
                           request(sample_job_id, 1, "smooth transition into the next one"), "i1b")
    assert joined.continuity.used == "into_next" and joined.continuity.keep == "end"
    assert (joined.generated_seconds, joined.delivered_seconds) == (8, 6.0)  # clip 1's slot
    video = local(joined.video_url)
    assert psnr(extract_frame(video, "last"),
                extract_frame(local(after.video_url), "first")) > JOIN_PSNR_DB
