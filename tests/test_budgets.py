"""Budgets nobody can overrun, counted in money: paid submissions at the Veo emulator and
versions in the database (activities/video/budgets.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.job_store.sample_data import default_sample_path, load_sample_job
from activities.postgres.pool import create_pool
from activities.video.video_activities import VideoActivities
from retake.client import start_regeneration
from tests.support.worker_process import WorkerProcess, worker_env
from tests.test_veo_activity import generation, veo_settings
from workflows import error_types
from workflows.models import RegenerateClipInput, RegenerateOptions
from workflows.step_models import GenerationState

CLIP_COST = Decimal("3.20")  # 8 s of veo-3.1-generate-001 at $0.40/s (the catalogue)
MUTED_CLIP_COST = Decimal("1.60")  # the same without sound, as a regeneration asks by default


def job_with_clips(tmp_path, clips: int):
    """The sample job grown to `clips` clips (clip 0's data under each index): one job
    with as many clips as regenerations started at once."""
    data = json.loads(default_sample_path().read_text())
    stages = data["stages"]
    lists = [stages["video_generator"]["clips"]["clips"], stages["prompt_generator"]["clip_prompts"],
             stages["scene_planner"]["clip_scripts"]]
    for items in lists:
        first = items[0]
        items[:] = [json.loads(json.dumps(first).replace("clip_0", f"clip_{n}"))
                    | {"clip_index": n} for n in range(clips)]
    stages["prompt_generator"]["total_clips"] = clips
    path = tmp_path / "job.json"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(params=["account", "job", "day"])
def budget_db(request) -> tuple[str, str]:
    """(which budget, the database): the day counts every submission in its database, so
    that one gets a database of its own."""
    if request.param == "day":
        return request.param, request.getfixturevalue("private_postgres").start()
    return request.param, request.getfixturevalue("postgres_dsn")


async def test_twenty_at_once_against_a_budget_for_five_pay_five_across_two_workers(
    budget_db, temporal_client, fresh_veo_emulator, task_queue, tmp_path
):
    """Per account, per job and per day: the reservation is one transaction in
    Postgres, so two worker processes racing twenty regenerations pay for five."""
    budget, dsn = budget_db
    veo = fresh_veo_emulator
    veo.configure(job_seconds=0.2)
    pool = await create_pool(dsn, min_size=1, max_size=4)
    account = f"user-{uuid.uuid4().hex[:8]}"
    setting = {"account": "RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY", "job": "RETAKE_BUDGET_USD_PER_JOB",
               "day": "RETAKE_BUDGET_USD_PER_DAY"}[budget]
    env = dict(temporal_address=temporal_client.service_client.config.target_host,
               database_url=dsn, task_queue=task_queue, veo=veo,
               **{setting: str(MUTED_CLIP_COST * 5)})
    workers = [WorkerProcess(worker_env(data_dir=tmp_path / f"w{i}", **env),
                             tmp_path / f"worker{i}.log") for i in range(2)]
    if budget == "job":
        job = await load_sample_job(pool, job_with_clips(tmp_path, 20), job_id=uuid.uuid4())
        targets = [(job, n) for n in range(20)]
    else:
        targets = [(await load_sample_job(pool, job_id=uuid.uuid4()), 0) for _ in range(20)]
    jobs = sorted({job for job, _ in targets})
    try:
        await asyncio.gather(*(w.start() for w in workers))
        handles = await asyncio.gather(*(start_regeneration(temporal_client, RegenerateClipInput(
            job_id=job, clip_index=clip, instruction="make it nighttime", account_id=account,
            options=RegenerateOptions(poll_interval_seconds=0.2, deadline_seconds=120)),
            task_queue=task_queue, eager=False) for job, clip in targets))
        outcomes = await asyncio.gather(*(h.result() for h in handles), return_exceptions=True)
        done = [o for o in outcomes if not isinstance(o, BaseException)]
        refused = [o for o in outcomes if isinstance(o, WorkflowFailureError)]
        assert len(done) == 5 and len(refused) == 15, outcomes
        for failure in refused:
            assert failure.cause.type == error_types.BUDGET_EXCEEDED
            assert failure.cause.non_retryable
            assert setting in failure.cause.message
            assert "Nothing was paid" in failure.cause.message
        assert len(veo.paid_submissions()) == 5
        new_versions = await pool.fetchval(
            "SELECT count(*) FROM clip_versions WHERE job_id = ANY($1::uuid[]) "
            "AND version_number > 1", jobs)
        assert new_versions == 5
    finally:
        for w in workers:
            w.stop()
        await pool.close()


@pytest.fixture
async def private_db(private_postgres):
    """A database of its own: the daily budget counts every submission of the day."""
    dsn = private_postgres.start()
    pool = await create_pool(dsn, min_size=1, max_size=25)
    yield pool
    await pool.close()


async def test_a_daily_budget_holds_under_concurrent_submits_and_a_filter_gives_back(
    private_db, fresh_veo_emulator, tmp_path
):
    veo = fresh_veo_emulator
    job = await load_sample_job(private_db, job_id=uuid.uuid4())
    video = VideoActivities.from_settings(
        veo_settings(veo, tmp_path, RETAKE_BUDGET_USD_PER_DAY=str(CLIP_COST * 3)), private_db)
    try:
        attempts = await asyncio.gather(*(
            ActivityEnvironment().run(video.submit_generation, generation(job, seed=i))
            for i in range(10)), return_exceptions=True)
        paid = [a for a in attempts if not isinstance(a, BaseException)]
        refused = [a for a in attempts if isinstance(a, ApplicationError)]
        assert len(paid) == 3 and len(refused) == 7, attempts
        assert all(r.type == error_types.BUDGET_EXCEEDED for r in refused)
        assert "$0.00 of $9.60 is left" in refused[0].message
        assert len(veo.paid_submissions()) == 3
        # Veo filters one: its money comes back, and exactly one more fits.
        await video._ledger.set_outcome(paid[0].operation_name, GenerationState.FILTERED)
        again = await asyncio.gather(*(
            ActivityEnvironment().run(video.submit_generation, generation(job, seed=100 + i))
            for i in range(3)), return_exceptions=True)
        assert sum(not isinstance(a, BaseException) for a in again) == 1, again
        assert len(veo.paid_submissions()) == 4
    finally:
        await video.aclose()


async def test_a_job_budget_is_refused_typed_and_unset_means_no_limit(
    db_pool, fresh_veo_emulator, tmp_path
):
    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    capped = VideoActivities.from_settings(
        veo_settings(fresh_veo_emulator, tmp_path, RETAKE_BUDGET_USD_PER_JOB="5.00"), db_pool)
    free = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    try:
        await ActivityEnvironment().run(capped.submit_generation, generation(job, seed=1))
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(capped.submit_generation, generation(job, seed=2))
        assert err.value.type == error_types.BUDGET_EXCEEDED
        assert f"job {job}" in err.value.message and "$1.80 of $5.00 is left" in err.value.message
        await ActivityEnvironment().run(free.submit_generation, generation(job, seed=3))
    finally:
        await capped.aclose()
        await free.aclose()
    assert len(fresh_veo_emulator.paid_submissions()) == 2


async def test_spend_lists_paid_money_per_job_day_and_account_from_the_ledger(
    db_pool, fresh_veo_emulator, tmp_path
):
    from retake.spend_cli import report

    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    account_id = f"acct-spend-{uuid.uuid4().hex[:8]}"  # fresh: a kept database has old ones
    video = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    try:
        for seed in (11, 12):
            await ActivityEnvironment().run(video.submit_generation,
                                            generation(job, seed=seed, account_id=account_id))
    finally:
        await video.aclose()
    async with db_pool.acquire() as conn:
        found = await report(conn)
    [row] = [r for r in found["job"] if r["key"] == str(job)]
    assert row["paid"] == 2 == len(fresh_veo_emulator.paid_submissions())
    assert row["usd"] == str(CLIP_COST * 2) and row["possible_duplicates"] == 0
    [account] = [r for r in found["account"] if r["key"] == account_id]
    assert account["usd"] == "6.40" and found["day"]


async def test_dollars_committed_are_counted_by_model_in_cents(
    db_pool, fresh_veo_emulator, tmp_path
):
    from activities.video.video_activities import COMMITTED_CENTS_METRIC
    from tests.test_submit_money import Attempt, buffered_meter

    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    buffer, meter = buffered_meter()
    video = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    try:
        await Attempt(meter=meter).env.run(video.submit_generation, generation(job, seed=7))
        await Attempt(meter=meter).env.run(
            video.submit_generation, generation(job, seed=8, generate_audio=False,
                                                model="veo-3.1-fast-generate-001"))
    finally:
        await video.aclose()
    updates = [(u.value, u.attributes["model"]) for u in buffer.retrieve_updates()
               if u.metric.name == COMMITTED_CENTS_METRIC]
    assert updates == [(320, "veo-3.1-generate-001"), (80, "veo-3.1-fast-generate-001")]
