"""Money in the conversation (issue 26, patch spend-in-plan), on the dev server with the Veo
emulator: no paid sound unless asked, plans that show their price and the budgets left, a
confirm that no longer fits refused with nothing paid, a batch refused as a whole, and a
push shortly before a plan expires. Money is counted at the emulator and in Postgres."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError

from activities.job_store.sample_data import load_sample_job
from retake.client import cancel_plan, confirm, plan_regeneration, start_regeneration
from tests.emulators.media import probe
from tests.support.temporal import retake_settings
from tests.test_notify_activity import SECRET, receiver  # noqa: F401 (fixture)
from tests.test_workflow_e2e import request, versions
from workflows import error_types
from workflows.batch_models import RegenerateClipsInput
from workflows.decisions.veo_models import PRICE
from workflows.models import RegenerateOptions

MUTED_8S = Decimal("1.60")  # 8 s of veo-3.1-generate-001 without sound (the catalogue)


@pytest.fixture
def veo(instant_veo):
    return instant_veo


def sent_audio(veo) -> list[bool]:
    return [s["parameters"]["generateAudio"] for s in veo.submissions()]


async def ledger_costs(db_pool, job_id) -> list[Decimal]:
    return [r["cost_usd"] for r in await db_pool.fetch(
        "SELECT cost_usd FROM veo_submissions WHERE job_id = $1 ORDER BY created_at", job_id)]


async def test_sound_is_off_unless_asked_and_every_record_carries_the_price_used(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, veo
):
    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        muted = await (await start_regeneration(
            temporal_client, request(job, 0, "make it nighttime"), task_queue=task_queue)).result()
        loud = await (await start_regeneration(
            temporal_client, request(job, 1, "make it nighttime", generate_audio=True),
            task_queue=task_queue)).result()
    assert sent_audio(veo) == [False, True]  # what Veo was asked, as Google documents it
    assert (muted.generate_audio, muted.price_per_second_usd) == (False, Decimal("0.20"))
    assert muted.price_source and muted.price_source != PRICE  # the muted price says its source
    assert (loud.generate_audio, loud.price_per_second_usd, loud.price_source) == (
        True, Decimal("0.40"), PRICE)
    assert muted.cost_estimate_usd == muted.generated_seconds * Decimal("0.20")
    assert "(no sound)" in muted.summary
    assert await ledger_costs(db_pool, job) == [muted.cost_estimate_usd, loud.cost_estimate_usd]
    stored = probe(Path(muted.video_url.removeprefix("file://")).read_bytes())
    assert stored["video"] and not stored["audio"]  # a silent video is stored as generated
    assert abs(stored["duration"] - muted.delivered_seconds) <= 0.2  # ... and cut to its slot
    rows = await db_pool.fetch("SELECT cost_usd FROM clip_versions WHERE job_id = $1 AND "
                               "version_number > 1 ORDER BY clip_index", job)
    assert [r["cost_usd"] for r in rows] == [muted.cost_estimate_usd, loud.cost_estimate_usd]


async def test_the_worker_setting_turns_sound_on_for_requests_that_do_not_say(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, veo
):
    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    async with run_worker(retake_settings(tmp_path, veo=veo, RETAKE_VEO_GENERATE_AUDIO=True)):
        result = await (await start_regeneration(
            temporal_client, request(job, 0, "make it nighttime"), task_queue=task_queue)).result()
        muted = await (await start_regeneration(
            temporal_client, request(job, 1, "make it nighttime", generate_audio=False),
            task_queue=task_queue)).result()
    assert sent_audio(veo) == [True, False] and result.generate_audio and not muted.generate_audio


async def test_a_plan_shows_the_budget_left_and_a_confirm_that_no_longer_fits_pays_nothing(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, veo
):
    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    settings = retake_settings(tmp_path, veo=veo, RETAKE_BUDGET_USD_PER_JOB="2.00")
    async with run_worker(settings):
        handle, proposal = await plan_regeneration(
            temporal_client, request(job, 0, "make it nighttime", confirm_first=True),
            task_queue=task_queue)
        [budget] = proposal.plan.budgets
        assert budget.name.startswith("RETAKE_BUDGET_USD_PER_JOB")
        assert (budget.limit_usd, budget.left_usd) == (Decimal("2.00"), Decimal("2.00"))
        assert "Budget left: $2.00 of $2.00" in proposal.plan.summary
        # Meanwhile another regeneration of the same job spends most of the budget.
        other = await (await start_regeneration(
            temporal_client, request(job, 1, "make it nighttime"), task_queue=task_queue)).result()
        assert other.cost_estimate_usd > Decimal("2.00") - proposal.plan.cost_estimate_usd
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await confirm(handle, revision=1)
        cause = refused.value.cause
        assert cause.type == error_types.BUDGET_EXCEEDED and cause.non_retryable
        assert "RETAKE_BUDGET_USD_PER_JOB" in cause.message and "Nothing was paid" in cause.message
        assert len(veo.paid_submissions()) == 1  # only the other clip's
        cancelled = await cancel_plan(handle)  # the plan still waited: the user can cancel it
        assert cancelled.state == "cancelled"
    assert await versions(db_pool, job, 0) == []


async def test_a_batch_that_does_not_fit_is_refused_as_a_whole_before_any_child_starts(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, veo
):
    from retake.client import cancel_batch, confirm_batch, plan_batch

    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    settings = retake_settings(tmp_path, veo=veo, RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY="3.00")
    inp = RegenerateClipsInput(job_id=job, clips=[0, 1, 3], instruction="make it nighttime",
                               account_id=f"acct-{uuid.uuid4().hex[:8]}",
                               options=RegenerateOptions(confirm_first=True,
                                                         poll_interval_seconds=0.2))
    async with run_worker(settings):
        handle, planned = await plan_batch(temporal_client, inp, task_queue=task_queue)
        assert planned.total_cost_estimate_usd > Decimal("3.00")
        assert [b.left_usd for b in planned.budgets] == [Decimal("3.00")]
        assert planned.over_budget and "RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY" in planned.over_budget
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await confirm_batch(handle)
        assert refused.value.cause.type == error_types.BUDGET_EXCEEDED
        await cancel_batch(handle)
        result = await handle.result()
    assert result.state == "cancelled" and all(c.workflow_id is None for c in result.clips)
    assert veo.counters()["submit_requests"] == 0


async def test_a_batch_without_confirm_first_is_refused_whole_with_nothing_started(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, veo
):
    from workflows.regenerate_clips import RegenerateClipsWorkflow

    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    settings = retake_settings(tmp_path, veo=veo, RETAKE_BUDGET_USD_PER_JOB="2.00")
    inp = RegenerateClipsInput(job_id=job, clips=[0, 1], instruction="make it nighttime",
                               options=RegenerateOptions(confirm_first=False))
    async with run_worker(settings):
        handle = await temporal_client.start_workflow(
            RegenerateClipsWorkflow.run, inp, id=f"batch-budget-{uuid.uuid4()}",
            task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert failed.value.cause.type == error_types.BUDGET_EXCEEDED
    assert veo.counters()["submit_requests"] == 0


async def test_a_plan_nobody_confirms_is_pushed_as_expiring_soon_before_it_expires(
    temporal_client, task_queue, run_worker, tmp_path, db_pool, veo, receiver  # noqa: F811
):
    job = await load_sample_job(db_pool, job_id=uuid.uuid4())
    settings = retake_settings(tmp_path, veo=veo, RETAKE_NOTIFY_HOSTS="127.0.0.1",
                               RETAKE_NOTIFY_ALLOW_HTTP=True, RETAKE_NOTIFY_SECRET=SECRET)
    async with run_worker(settings):
        handle, proposal = await plan_regeneration(
            temporal_client, request(job, 2, "make it nighttime", confirm_first=True,
                                     confirm_timeout_seconds=3.0, notify_url=receiver.url),
            task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as expired:
            await handle.result()
        for _ in range(50):
            if any(body["event"] == "failed" for body, ok in receiver.received if ok):
                break
            await asyncio.sleep(0.1)
    assert expired.value.cause.type == error_types.PLAN_EXPIRED
    events = [body for body, ok in receiver.received if ok]
    warning = next(b for b in events if b["event"] == "plan_expiring_soon")
    assert warning["revision"] == 1 and warning["expires_at"]
    assert warning["occurred_at"] < warning["expires_at"]  # sent before the plan expired
    assert veo.counters()["submit_requests"] == 0
