"""Adaptive polling through the workflow: the wait learns this model's generation times
from the ledger (migration 008) and sets each next check with next_retry_delay.

The history is seeded with rows this test controls (the 50 most recent successes of
the model, so other tests' rows are not read) and removed afterwards; the rest of the
suite runs with RETAKE_ADAPTIVE_POLLING off so those rows pace nothing else.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from activities.video.generation_times import GenerationTimes
from activities.video.poll_schedule import _plan
from retake.client import start_regeneration
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import record
from workflows.models import DEFAULT_VIDEO_MODEL, RegenerateClipInput, RegenerateOptions

JOB_SECONDS = 3.0
FALLBACK = 6.0  # the workflow's poll interval: without history, checks at 0 s and 6 s


@pytest.fixture
async def seeded_history(db_pool):
    """50 recent successes of the default model taking 2.6 to 3.4 s."""
    tag = f"adaptive-test-{uuid.uuid4().hex[:8]}"
    rows = [(f"{tag}/{i}", uuid.uuid4(), DEFAULT_VIDEO_MODEL, 2.6 + 0.8 * i / 49) for i in range(50)]
    await db_pool.executemany(
        "INSERT INTO veo_submissions (regeneration_id, job_id, clip_index, operation_name,"
        " backend, model) VALUES ($1, $2, 0, $1, 'veo', $3)", [r[:3] for r in rows])
    await db_pool.executemany(
        "INSERT INTO veo_operations (operation_name, regeneration_id, job_id, clip_index,"
        " backend, outcome, created_at, last_running_at, finished_at, finished_state)"
        " VALUES ($1, $1, $2, 0, 'veo', 'succeeded', now() - make_interval(secs => $3 + 1),"
        " now() - interval '1 second', now() - interval '1 second', 'succeeded')",
        [(r[0], r[1], r[3]) for r in rows])
    yield
    await db_pool.execute("DELETE FROM veo_operations WHERE regeneration_id LIKE $1", f"{tag}/%")
    await db_pool.execute("DELETE FROM veo_submissions WHERE regeneration_id LIKE $1", f"{tag}/%")


async def forget(db_pool, job_id):
    """This test's generation times: removed, so no other test is paced by them."""
    await db_pool.execute("UPDATE veo_operations SET finished_state = NULL WHERE job_id = $1",
                          job_id)


async def regenerate(client, task_queue, job_id, clip, name=None):
    handle = await start_regeneration(client, RegenerateClipInput(
        job_id=job_id, clip_index=clip, instruction="make it a bit brighter",
        options=RegenerateOptions(poll_interval_seconds=FALLBACK, deadline_seconds=60),
    ), task_queue=task_queue)
    result = await handle.result()
    if name:
        await record(handle, name)
    return result, len((await handle.fetch_history()).events)


async def ledger_row(db_pool, job_id, clip):
    return await db_pool.fetchrow(
        "SELECT operation_name, status_checks, finished_state,"
        " EXTRACT(EPOCH FROM finished_at - created_at)::float8 AS seen_done_after,"
        " EXTRACT(EPOCH FROM last_running_at - created_at)::float8 AS last_running_after"
        " FROM veo_operations WHERE job_id = $1 AND clip_index = $2", job_id, clip)


async def test_the_wait_checks_when_this_model_usually_finishes_with_a_flat_history(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, fresh_veo_emulator, db_pool,
    seeded_history,
):
    veo = fresh_veo_emulator
    veo.configure(job_seconds=JOB_SECONDS)
    try:
        async with run_worker(retake_settings(tmp_path, veo=veo, RETAKE_ADAPTIVE_POLLING=True)):
            result, events = await regenerate(temporal_client, task_queue, sample_job_id, 2,
                                              "adaptive_wait")
        row = await ledger_row(db_pool, sample_job_id, 2)
        polls = veo.counters()["polls_per_operation"][row["operation_name"]]

        # No check at submission (a 3 s model is not done at 0 s): the first comes near
        # 2.6 s, the next ones tighten, and the finish is seen well before the fixed
        # interval's second check at 6 s.
        assert row["last_running_after"] is None or row["last_running_after"] >= 2.0
        assert JOB_SECONDS <= row["seen_done_after"] < FALLBACK - 1.0
        assert result.status == "completed" and result.polls == row["status_checks"]
        # Status checks only: the check that found it done stored it (issue 34, no
        # second fetch of the finished operation).
        assert polls == row["status_checks"] <= 3
        assert row["finished_state"] == "succeeded"

        # The same regeneration with an instant job and no adaptive pacing: one check.
        veo.configure(job_seconds=0.0)
        async with run_worker(retake_settings(tmp_path, veo=veo)):
            instant, instant_events = await regenerate(temporal_client, task_queue,
                                                        sample_job_id, 4)
        assert instant.polls == 1
        assert events == instant_events  # delayed retries added no history event
    finally:
        veo.configure(job_seconds=0.0)
        await forget(db_pool, sample_job_id)


async def test_without_history_the_wait_keeps_the_fixed_interval(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, fresh_veo_emulator, db_pool
):
    """A model with no recorded successes (the Fast model's rows removed for the test)."""
    veo = fresh_veo_emulator
    veo.configure(job_seconds=1.5)
    try:
        await db_pool.execute("UPDATE veo_operations o SET finished_state = 'test-hidden'"
                              " FROM veo_submissions s WHERE s.regeneration_id = o.regeneration_id"
                              " AND s.model = 'veo-3.1-fast-generate-001'"
                              " AND o.finished_state = 'succeeded'")
        async with run_worker(retake_settings(tmp_path, veo=veo, RETAKE_ADAPTIVE_POLLING=True)):
            handle = await start_regeneration(temporal_client, RegenerateClipInput(
                job_id=sample_job_id, clip_index=1, instruction="make it a bit brighter",
                options=RegenerateOptions(poll_interval_seconds=2.0, deadline_seconds=60,
                                          video_model="veo-3.1-fast-generate-001"),
            ), task_queue=task_queue)
            result = await handle.result()
        row = await ledger_row(db_pool, sample_job_id, 1)
        assert result.polls == 2  # at submission (running), then one interval later (done)
        assert row["last_running_after"] < 1.0 and row["seen_done_after"] >= 2.0
    finally:
        veo.configure(job_seconds=0.0)
        await forget(db_pool, sample_job_id)
        await db_pool.execute("UPDATE veo_operations SET finished_state = 'succeeded'"
                              " WHERE finished_state = 'test-hidden'")


async def test_concurrent_waits_plan_the_check_times_once(db_pool, seeded_history):
    """A thousand waits of one model checking at once: one reads the history and plans
    (in a thread), the others wait for it, so planning never runs once per wait."""
    name = await db_pool.fetchval("SELECT operation_name FROM veo_operations"
                                  " WHERE regeneration_id LIKE 'adaptive-test-%' LIMIT 1")
    times = GenerationTimes(db_pool)
    _plan.cache_clear()
    timings = await asyncio.gather(*(times.timing(name, 7.0) for _ in range(50)))
    assert timings[0].schedule is not None
    assert all(t.schedule is timings[0].schedule for t in timings)
    assert _plan.cache_info().misses == 1
