"""job_activity on the dev server: one call shows a job's pending plan (revision, expiry),
running regeneration (stage), and recent outcomes, and pays for nothing."""

from __future__ import annotations

import asyncio

from temporalio.client import WorkflowUpdateFailedError

from retake.client import cancel_plan, plan_regeneration, revise, start_regeneration
from retake.job_activity import JobActivity, job_activity
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import request, wait_for_stage


async def settled(client, job, ready) -> JobActivity:
    """Visibility is eventually consistent: read until the expected picture shows."""
    for _ in range(100):
        found = await job_activity(client, job)
        if ready(found):
            return found
        await asyncio.sleep(0.1)
    return found


async def test_one_call_shows_pending_running_and_recent_without_paying(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo_emulator
):
    veo = veo_emulator
    veo.reset()
    veo.configure(job_seconds=0.3)
    job = sample_job_id
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        done = await start_regeneration(temporal_client, request(job, 0, "make it darker"),
                                        task_queue=task_queue)
        finished = await done.result()
        try:
            await plan_regeneration(temporal_client, request(job, 99, "make it darker"),
                                    task_queue=task_queue)
        except WorkflowUpdateFailedError:
            pass  # ClipNotFound: the run fails and shows in recent
        planned, _ = await plan_regeneration(temporal_client, request(job, 1, "make it nighttime"),
                                             task_queue=task_queue)
        proposal = await revise(planned, "make it darker")
        veo.configure(job_seconds=600)
        busy = await start_regeneration(temporal_client, request(job, 3, "make it brighter"),
                                        task_queue=task_queue)
        await wait_for_stage(busy, "waiting")
        paid_before = veo.counters()["submit_requests"]

        found = await settled(temporal_client, job,
                              lambda f: len(f.recent) == 2 and f.running and f.pending_plans)

        assert [(p.clip_index, p.proposal.revision) for p in found.pending_plans] == [(1, 2)]
        # The `proposal` query's expiry can trail the revise answer's by a workflow task
        # (the clock restarts after the answer): the same expiry to the second.
        shown = found.pending_plans[0].proposal.expires_at
        assert abs((shown - proposal.expires_at).total_seconds()) < 1
        assert found.pending_plans[0].proposal.instructions == ["make it nighttime",
                                                                "make it darker"]
        assert [(r.clip_index, r.progress.stage) for r in found.running] == [(3, "waiting")]
        by_clip = {r.clip_index: r for r in found.recent}
        assert by_clip[0].status == "completed" and by_clip[0].result == finished
        assert by_clip[99].status == "failed" and by_clip[99].error_type == "ClipNotFound"
        assert found.batches == []
        assert veo.counters()["submit_requests"] == paid_before  # reading pays nothing
        JobActivity.model_validate_json(found.model_dump_json())

        await cancel_plan(planned)
        await busy.cancel()
    assert veo.counters()["submissions_accepted"] == 2  # clip 0 and clip 3 only
