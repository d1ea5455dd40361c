"""RegenerateClipsWorkflow on the dev server: one combined plan, one confirmation, children.

Paid submissions are counted at the Veo emulator and versions in Postgres: a busy
clip is reported and left alone, a failing clip does not stop the others, a clip that
cannot be planned is never paid, and a cancelled or expired batch pays nothing.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from retake.client import (
    cancel_batch,
    cancel_plan,
    confirm_batch,
    get_batch,
    get_proposal,
    plan_batch,
    plan_regeneration,
)
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import FAST, record, request, versions
from workflows import error_types
from workflows.batch_models import RegenerateClipsInput


def batch_request(job_id, **fields) -> RegenerateClipsInput:
    options = FAST.model_copy(update={"confirm_first": True, **fields.pop("options", {})})
    return RegenerateClipsInput(job_id=job_id, options=options, **fields)


@pytest.fixture
def veo(instant_veo):
    return instant_veo


async def test_one_plan_one_confirmation_then_children_busy_and_failing_clips_reported(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(filter_words=["cymbals"])  # clip 3's prompt: filtered, twice
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        busy, _ = await plan_regeneration(  # clip 1 is in a conversation of its own
            temporal_client, request(sample_job_id, 1, "make it nighttime"), task_queue=task_queue
        )
        handle, planned = await plan_batch(
            temporal_client,
            batch_request(sample_job_id, clips=[0, 1, 3, 99], instruction="make it darker",
                          max_concurrent=2),
            task_queue=task_queue,
        )
        by_clip = {c.clip_index: c for c in planned.clips}
        assert planned.state == "awaiting_confirmation" and planned.expires_at is not None
        assert [by_clip[i].state for i in (0, 3)] == ["planned"] * 2
        assert by_clip[99].state == "plan_failed"
        assert by_clip[99].error_type == error_types.CLIP_NOT_FOUND
        # Busy before the user approves the money: not planned, not in the total.
        assert by_clip[1].state == "busy" and by_clip[1].plan is None
        assert "not in this batch's plan or total" in by_clip[1].error_message
        assert planned.total_cost_estimate_usd == sum(
            by_clip[i].plan.cost_estimate_usd for i in (0, 3))
        assert veo.counters()["submit_requests"] == 0  # nothing paid before confirm

        await confirm_batch(handle)
        result = await handle.result()
        await record(handle, "batch")
        assert (await get_batch(handle)).state == "finished"
        still_waiting = await get_proposal(busy)
        await cancel_plan(busy)

    outcome = {c.clip_index: c for c in result.clips}
    assert outcome[0].state == "completed" and outcome[0].version == 2
    assert outcome[0].workflow_id == f"regenerate-{sample_job_id}-0"
    assert outcome[1].state == "busy" and "already being regenerated" in outcome[1].error_message
    assert outcome[1].plan is None  # never planned, never counted
    assert still_waiting.state == "awaiting_confirmation"  # the busy clip was not overwritten
    assert outcome[3].state == "failed" and outcome[3].error_type == error_types.CONTENT_FILTERED
    assert outcome[99].state == "plan_failed"
    assert (result.completed, result.failed, result.busy) == (1, 2, 1)

    # Paid: clip 0 once, clip 3 twice (filtered, then its one sanitised retry). Nothing else.
    assert veo.counters()["submissions_accepted"] == 3
    clip0 = [s for s in veo.submissions() if "cymbals" not in s["instances"][0]["prompt"]]
    assert [s["instances"][0]["prompt"] for s in clip0] == [by_clip[0].plan.prompt]
    assert [r["version_number"] for r in await versions(db_pool, sample_job_id, 0)] == [1, 2]
    assert await versions(db_pool, sample_job_id, 1) == []
    assert await versions(db_pool, sample_job_id, 3) == []


async def test_cancelled_and_expired_batches_pay_nothing(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, planned = await plan_batch(
            temporal_client, batch_request(sample_job_id, clips="all", instruction="make it darker"),
            task_queue=task_queue,
        )
        assert [c.clip_index for c in planned.clips] == [0, 1, 2, 3, 4, 5]  # "all"
        await cancel_batch(handle)
        cancelled = await handle.result()
        await record(handle, "batch_cancelled")
        with pytest.raises(RPCError, match="already completed"):
            await confirm_batch(handle)  # closed: nothing left to confirm

        handle, planned = await plan_batch(
            temporal_client,
            batch_request(sample_job_id, instructions={2: "make it nighttime", 4: "make it brighter"},
                          options={"confirm_timeout_seconds": 1.0}),
            task_queue=task_queue,
        )
        assert {c.clip_index: c.plan.template_id for c in planned.clips} == {
            2: "nighttime", 4: "brighter"}
        with pytest.raises(WorkflowFailureError) as expired:
            await handle.result()
        await record(handle, "batch_expired")

    assert cancelled.state == "cancelled" and cancelled.total_cost_estimate_usd == 0
    assert {c.state for c in cancelled.clips} == {"not_run"}
    cause = expired.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.PLAN_EXPIRED
    assert veo.counters()["submit_requests"] == 0
    for clip in range(6):
        assert await versions(db_pool, sample_job_id, clip) == []


async def test_a_second_confirmation_and_a_bad_batch_are_refused(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        with pytest.raises(WorkflowUpdateFailedError) as bad:
            await plan_batch(
                temporal_client,
                batch_request(sample_job_id, clips=[0], instruction="x", instructions={0: "y"}),
                task_queue=task_queue,
            )
        assert bad.value.cause.type == error_types.INVALID_INPUT

        veo.configure(job_seconds=2)
        handle, _ = await plan_batch(
            temporal_client, batch_request(sample_job_id, clips=[5], instruction="make it darker"),
            task_queue=task_queue,
        )
        await confirm_batch(handle)
        for late in (confirm_batch(handle), cancel_batch(handle)):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await late
            assert refused.value.cause.type == error_types.UPDATE_NOT_ALLOWED
        assert (await handle.result()).completed == 1
    assert veo.counters()["submissions_accepted"] == 1


async def test_the_concurrency_cap_runs_children_one_at_a_time_without_confirmation(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    veo.configure(job_seconds=1.0)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, planned = await plan_batch(
            temporal_client,
            batch_request(sample_job_id, clips=[2, 4], instruction="make it darker",
                          max_concurrent=1, options={"confirm_first": False}),
            task_queue=task_queue,
        )
        result = await handle.result()
        spans = []
        for clip in result.clips:
            desc = await temporal_client.get_workflow_handle(clip.workflow_id).describe()
            spans.append((desc.start_time, desc.close_time))
    assert result.completed == 2 and veo.counters()["submissions_accepted"] == 2
    first, second = sorted(spans)
    assert second[0] >= first[1]  # the second child started after the first closed
