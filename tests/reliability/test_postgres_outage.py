"""Postgres goes away for 10+ seconds while one regeneration loads and another persists.

A Postgres of this test's own (PrivatePostgres) serves the worker process. Two
regenerations of one job are held in their DB steps by test transactions (clip 4's
context load behind LOCK TABLE clip_versions, clip 2's persist behind its stage row
FOR UPDATE); then the server stops (pg_ctl fast: every connection is cut, open
transactions roll back) and stays down for OUTAGE_SECONDS. After it returns, both
regenerations retry, complete, and the job holds exactly one new version per clip,
each clip entry pointing at it, and no other clip changed.
"""

from __future__ import annotations

import asyncio
import time

from activities.job_store.sample_data import load_sample_job
from activities.postgres.pool import create_pool
from retake.client import start_regeneration
from tests.reliability.helpers import (
    RECOVERY_TIMEOUT,
    GatedVeo,
    HeldLock,
    request,
    versions,
    wait_until,
)
from tests.reliability.test_worker_kills import app_dsn

OUTAGE_SECONDS = 11.0
LOADING_CLIP, PERSISTING_CLIP = 4, 2


async def clip_entries(pool, job) -> list[dict]:
    metadata = await pool.fetchval(
        "SELECT metadata FROM job_stages WHERE job_id = $1 AND stage_name = 'video_generator'", job)
    return metadata["clips"]["clips"]


async def test_postgres_down_during_load_and_persist_then_both_complete(
    private_postgres, temporal_client, spawn_worker, figures
):
    dsn = private_postgres.start()
    pool = await create_pool(dsn, min_size=1, max_size=2)
    job = await load_sample_job(pool)
    before = await clip_entries(pool, job)
    await pool.close()

    veo = GatedVeo(job_seconds=0.5).start()
    app = "retake-pg-outage"
    worker = spawn_worker("pg-outage", veo=veo, database_url=app_dsn(dsn, app))
    try:
        await worker.start()
        queue = worker.env["RETAKE_TASK_QUEUE"]
        row_lock = await HeldLock(
            dsn, "SELECT id FROM job_stages WHERE job_id = $1 AND stage_name = 'video_generator'"
            " FOR UPDATE", job).__aenter__()
        persisting = await start_regeneration(
            temporal_client, request(job, PERSISTING_CLIP), task_queue=queue)
        await wait_until(lambda: row_lock.blocked_query(app), timeout=90)  # persist is blocked

        table_lock = await HeldLock(dsn, "LOCK TABLE clip_versions IN ACCESS EXCLUSIVE MODE").__aenter__()
        loading = await start_regeneration(
            temporal_client, request(job, LOADING_CLIP), task_queue=queue)

        async def both_blocked() -> bool:
            return len(await table_lock.blocked(app)) >= 2

        await wait_until(both_blocked, timeout=60)

        private_postgres.stop("fast")
        stopped = time.monotonic()
        await asyncio.sleep(OUTAGE_SECONDS)
        private_postgres.start()
        outage = time.monotonic() - stopped
        await row_lock.release()
        await table_lock.release()

        results = await asyncio.wait_for(
            asyncio.gather(loading.result(), persisting.result()), RECOVERY_TIMEOUT)
        submissions = veo.counters()["submissions_accepted"]
    finally:
        veo.stop()

    log = worker.log_text()
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        assert all(r.status == "completed" and r.version == 2 for r in results)
        assert submissions == 2
        after = await clip_entries(pool, job)
        for clip, result in zip((LOADING_CLIP, PERSISTING_CLIP), results):
            assert await versions(pool, job, clip) == [1, 2]
            current = await pool.fetchval(
                "SELECT video_url FROM clip_versions WHERE job_id = $1 AND clip_index = $2"
                " AND is_current", job, clip)
            assert current == result.video_url == after[clip]["video_url"]
        untouched = [i for i in range(len(before)) if i not in (LOADING_CLIP, PERSISTING_CLIP)]
        assert [after[i] for i in untouched] == [before[i] for i in untouched]
        assert await pool.fetchval("SELECT count(*) FROM clip_versions WHERE job_id = $1", job) == 4
    finally:
        await pool.close()
    assert worker.running and worker.kills == 0  # the worker rode it out; nothing restarted it
    figures.add(
        "Postgres down during a context load and a persist",
        runs=2, completions=2, submissions=submissions, versions=2,
        notes=f"server stopped {outage:.0f} s with both steps blocked in it; "
              f"{log.count('DatabaseUnavailable')} DatabaseUnavailable retries logged; "
              "no other clip changed",
    )
