"""The budgets themselves (activities/video/budgets.py), on real Postgres, no Veo: what is
left of each budget, the refusal at the exact limit, the message a refusal gives, and no
lock taken when no budget is set. Written from the mutation run's survivors (issue 35);
tests/test_budgets.py pays through the Veo emulator.

The day's budget counts every submission of the day in the database, other tests' too:
those tests read it inside one REPEATABLE READ transaction, so other sessions' rows stay
out of the snapshot and the day's figure holds still while the test adds its own rows.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.config import Settings
from activities.video import budgets
from activities.video.budgets import Budgets
from workflows.error_types import BUDGET_EXCEEDED

BIG = Decimal("1000000.00")
DAY = "RETAKE_BUDGET_USD_PER_DAY (the whole deployment)"


async def add(conn, *, job_id: UUID, cost: str, account_id: str | None = None,
              state: str = "accepted", released: bool = False) -> str:
    """One reservation row as the ledger writes it; its regeneration id."""
    regeneration_id = f"budget-{uuid4()}"
    await conn.execute(
        "INSERT INTO veo_submissions (regeneration_id, job_id, clip_index, operation_name, "
        "backend, model, state, cost_usd, account_id, cost_released) "
        "VALUES ($1, $2, 0, $3, 'veo', 'veo-3.1-generate-001', $4, $5, $6, $7)",
        regeneration_id, job_id, None if state != "accepted" else f"op-{uuid4()}", state,
        Decimal(cost), account_id, released)
    return regeneration_id


def next_midnight() -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(),
                            tzinfo=UTC)


def test_the_three_settings_are_the_three_budgets_and_any_one_of_them_counts() -> None:
    settings = Settings(RETAKE_BUDGET_USD_PER_DAY="1.00", RETAKE_BUDGET_USD_PER_JOB="2.00",
                        RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY="3.00")
    assert Budgets.from_settings(settings) == Budgets(Decimal("1.00"), Decimal("2.00"),
                                                      Decimal("3.00"))
    assert not Budgets().any
    with pytest.raises(dataclasses.FrozenInstanceError):  # shared by concurrent activities
        Budgets().per_job = Decimal(0)
    for one in ({"per_day": Decimal(0)}, {"per_job": Decimal(0)},
                {"per_account_per_day": Decimal(0)}):
        assert Budgets(**one).any, one


def test_the_daily_budgets_reset_at_the_next_utc_midnight() -> None:
    before = next_midnight()
    got = budgets._midnight()
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)
    assert got in (before, next_midnight())  # the test may straddle a midnight


async def test_what_is_left_of_the_job_and_account_budgets(db_pool: asyncpg.Pool) -> None:
    job, other_job, account = uuid4(), uuid4(), f"acct-{uuid4().hex[:8]}"
    async with db_pool.acquire() as conn:
        await add(conn, job_id=job, cost="1.20", account_id=account)
        await add(conn, job_id=job, cost="0.50", state="submitting")
        await add(conn, job_id=job, cost="9.00", released=True)  # filtered: given back
        await add(conn, job_id=job, cost="9.00", state="open")  # refused: nothing paid
        await add(conn, job_id=other_job, cost="0.80", account_id=account)
    limits = Budgets(per_job=Decimal("2.00"), per_account_per_day=Decimal("1.50"))
    found = await budgets.left(db_pool, limits, job_id=job, account_id=account)
    assert [(b.name, b.limit_usd, b.left_usd) for b in found] == [
        (f"RETAKE_BUDGET_USD_PER_JOB (job {job})", Decimal("2.00"), Decimal("0.30")),
        (f"RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY (account {account})", Decimal("1.50"),
         Decimal(0)),  # 2.00 spent of 1.50: none left, never below zero
    ]
    assert found[0].resets_at is None
    assert found[1].resets_at in (next_midnight(), next_midnight() - timedelta(days=1))
    # No account named: the account's budget does not apply; no budget set: none listed.
    found = await budgets.left(db_pool, limits, job_id=other_job, account_id=None)
    assert [(b.name, b.left_usd) for b in found] == [
        (f"RETAKE_BUDGET_USD_PER_JOB (job {other_job})", Decimal("1.20"))]
    assert await budgets.left(db_pool, Budgets(), job_id=job, account_id=account) == []


async def test_the_day_budget_counts_the_days_paid_rows(db_pool: asyncpg.Pool) -> None:
    async with db_pool.acquire() as conn:
        snapshot = conn.transaction(isolation="repeatable_read")
        await snapshot.start()
        try:
            limits = Budgets(per_day=BIG)
            [before] = await budgets.left(conn, limits, job_id=uuid4(), account_id=None)
            await add(conn, job_id=uuid4(), cost="2.25")
            [after] = await budgets.left(conn, limits, job_id=uuid4(), account_id=None)
        finally:
            await snapshot.rollback()
    assert (after.name, after.limit_usd) == (DAY, BIG)
    assert before.left_usd - after.left_usd == Decimal("2.25")
    assert after.resets_at in (next_midnight(), next_midnight() - timedelta(days=1))


async def take(conn, limits: Budgets, *, job_id: UUID, cost: str, account_id: str | None = None,
               regeneration_id: str | None = None) -> None:
    async with conn.transaction():
        await budgets.take(conn, limits, regeneration_id=regeneration_id or f"r-{uuid4()}",
                           job_id=job_id, account_id=account_id, cost=Decimal(cost))


async def test_a_cost_that_fits_exactly_is_taken_and_a_cent_more_is_refused(
    db_pool: asyncpg.Pool,
) -> None:
    job = uuid4()
    limits = Budgets(per_job=Decimal("3.00"))
    async with db_pool.acquire() as conn:
        own = await add(conn, job_id=job, cost="1.20", state="submitting")
        await take(conn, limits, job_id=job, cost="1.80")
        # A reservation marked again (a retried attempt) does not count its own row.
        await take(conn, limits, job_id=job, cost="3.00", regeneration_id=own)
        with pytest.raises(ApplicationError) as refused:
            await take(conn, limits, job_id=job, cost="1.81")
    assert refused.value.type == BUDGET_EXCEEDED and refused.value.non_retryable
    assert refused.value.message == (
        f"This generation costs $1.81 and would exceed RETAKE_BUDGET_USD_PER_JOB (job {job}): "
        "$1.80 of $3.00 is left; it does not reset: raise it to spend more on this job. "
        "Nothing was paid.")


async def test_an_account_over_its_day_is_refused_until_midnight(db_pool: asyncpg.Pool) -> None:
    job, account = uuid4(), f"acct-{uuid4().hex[:8]}"
    limits = Budgets(per_job=BIG, per_account_per_day=Decimal("1.00"))
    async with db_pool.acquire() as conn:
        await add(conn, job_id=uuid4(), cost="1.50", account_id=account)  # over: limit lowered
        await take(conn, limits, job_id=job, cost="0.40")  # no account named: only the job's
        with pytest.raises(ApplicationError) as refused:
            await take(conn, limits, job_id=job, cost="0.40", account_id=account)
    message = refused.value.message
    assert message.startswith(
        f"This generation costs $0.40 and would exceed RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY "
        f"(account {account}): $0 of $1.00 is left; it resets at ")
    assert message.endswith(" 00:00 UTC. Nothing was paid.")
    assert any(f"resets at {day:%Y-%m-%d} 00:00 UTC" in message
               for day in (next_midnight(), next_midnight() - timedelta(days=1)))


async def test_no_budget_set_takes_no_lock_and_checks_nothing(db_pool: asyncpg.Pool) -> None:
    """Unset budgets do not queue every submission behind the budget lock."""
    async with db_pool.acquire() as holder, holder.transaction():
        await holder.execute(budgets._BUDGET_LOCK)  # another reservation holds it
        async with db_pool.acquire() as conn:
            await asyncio.wait_for(take(conn, Budgets(), job_id=uuid4(), cost="99.00"), 2)
