"""Budgets nobody can overrun: checked and taken where the money is reserved.

Before a paid POST, the submit activity marks its reservation 'submitting' in the ledger
(activities/video/submission_ledger.py). With any budget set, that write happens in one
transaction with the budget check, under one transaction-scoped advisory lock, so
concurrent regenerations on any number of workers queue there and cannot together spend
past a limit: the day's spend of the whole deployment (UTC day), one job's spend, and one
end user's (`account_id`) spend of the day. A reservation whose generation Veo filtered
or failed gives its money back (`cost_released`). Unset budgets: no limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from activities import errors
from workflows.error_types import BUDGET_EXCEEDED
from workflows.spend_models import BudgetLeft

_BUDGET_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('retake-budgets', 13))"
_SPENT = """
SELECT
  COALESCE(SUM(cost_usd) FILTER (WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC')
                                                   AT TIME ZONE 'UTC'), 0) AS today,
  COALESCE(SUM(cost_usd) FILTER (WHERE job_id = $2), 0) AS job,
  COALESCE(SUM(cost_usd) FILTER (WHERE account_id = $3 AND created_at >=
             date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'), 0) AS account_today
FROM veo_submissions
WHERE regeneration_id <> $1 AND state IN ('submitting', 'accepted') AND NOT cost_released
"""


@dataclass(frozen=True)
class Budgets:
    """USD limits; None: no limit."""

    per_day: Decimal | None = None
    per_job: Decimal | None = None
    per_account_per_day: Decimal | None = None

    @classmethod
    def from_settings(cls, settings) -> Budgets:
        return cls(settings.budget_usd_per_day, settings.budget_usd_per_job,
                   settings.budget_usd_per_account_per_day)

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.per_day, self.per_job, self.per_account_per_day))


def _midnight() -> datetime:
    """When the daily budgets reset: the next UTC midnight."""
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def _applicable(budgets: Budgets, spent: asyncpg.Record, job_id,
                account_id: str | None) -> list[tuple[str, Decimal, Decimal, datetime | None]]:
    """(name, limit, used, resets_at) of each budget set for this job and account."""
    midnight = _midnight()
    checks = [
        ("RETAKE_BUDGET_USD_PER_DAY (the whole deployment)", budgets.per_day,
         spent["today"], midnight),
        (f"RETAKE_BUDGET_USD_PER_JOB (job {job_id})", budgets.per_job, spent["job"], None),
    ]
    if account_id is not None:
        checks.append((f"RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY (account {account_id})",
                       budgets.per_account_per_day, spent["account_today"], midnight))
    return [(name, limit, used, resets) for name, limit, used, resets in checks
            if limit is not None]


async def left(conn: asyncpg.Connection | asyncpg.Pool, budgets: Budgets, *, job_id,
               account_id: str | None) -> list[BudgetLeft]:
    """What is left of each budget that applies (for plans; `take` is what enforces)."""
    if not budgets.any:
        return []
    spent = await conn.fetchrow(_SPENT, "", job_id, account_id)
    return [BudgetLeft(name=name, limit_usd=limit, left_usd=max(limit - used, Decimal(0)),
                       resets_at=resets)
            for name, limit, used, resets in _applicable(budgets, spent, job_id, account_id)]


async def take(conn: asyncpg.Connection, budgets: Budgets, *, regeneration_id: str, job_id,
               account_id: str | None, cost: Decimal) -> None:
    """Inside the caller's transaction: wait for the budget lock, then refuse typed if `cost`
    would overrun a budget. The caller's write in the same transaction takes the money."""
    if not budgets.any:
        return
    await conn.execute(_BUDGET_LOCK)
    spent = await conn.fetchrow(_SPENT, regeneration_id, job_id, account_id)
    for name, limit, used, resets in _applicable(budgets, spent, job_id, account_id):
        if used + cost > limit:
            left_now = max(limit - used, Decimal(0))
            when = (f"it resets at {resets:%Y-%m-%d %H:%M} UTC" if resets
                    else "it does not reset: raise it to spend more on this job")
            raise errors.non_retryable(
                f"This generation costs ${cost} and would exceed {name}: ${left_now} of "
                f"${limit} is left; {when}. Nothing was paid.",
                BUDGET_EXCEEDED,
            )
