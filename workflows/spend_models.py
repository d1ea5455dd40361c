"""What a plan knows about money before anything is paid (issue 26): the worker's sound
setting and what is left of each budget that applies, read by SpendActivities."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field


class BudgetLeft(BaseModel):
    """One budget that applies to a plan, as of when it was read."""

    name: str  # the setting, e.g. "RETAKE_BUDGET_USD_PER_DAY (the whole deployment)"
    limit_usd: Decimal
    left_usd: Decimal  # never below 0
    resets_at: datetime | None = None  # None: never (the per-job budget)


class SpendQuery(BaseModel):
    """Whose budgets: the job's, and the end user's when the caller names one."""

    job_id: UUID
    account_id: str | None = None


class SpendTerms(BaseModel):
    """The worker's spending settings as a plan needs them."""

    generate_audio_default: bool = False  # RETAKE_VEO_GENERATE_AUDIO
    budgets: list[BudgetLeft] = Field(default_factory=list)  # empty: no budget set
