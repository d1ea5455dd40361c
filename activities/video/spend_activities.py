"""What a plan shows about money before anything is paid: the worker's sound setting and
what is left of each budget (issue 26). A read only: the reservation that pays is checked
again in its own transaction (activities/video/budgets.py), so a stale read never overruns."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from activities.config import Settings
from activities.postgres.faults import CONNECTION_FAULTS, database_unavailable
from activities.video import budgets
from activities.video.budgets import Budgets
from workflows.spend_models import SpendQuery, SpendTerms


class SpendActivities:
    """Owns the pool it reads the ledger with and the worker's spending settings."""

    def __init__(self, pool: asyncpg.Pool, limits: Budgets | None = None, *,
                 generate_audio: bool = False) -> None:
        self.pool = pool
        self._limits = limits or Budgets()
        self._generate_audio = generate_audio

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool) -> SpendActivities:
        return cls(pool, Budgets.from_settings(settings),
                   generate_audio=settings.veo_generate_audio)

    @activity.defn
    async def spend_terms(self, query: SpendQuery) -> SpendTerms:
        """The sound default and what is left of each budget for this job and account."""
        try:
            left = await budgets.left(self.pool, self._limits, job_id=query.job_id,
                                      account_id=query.account_id)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable("reading the budgets", exc) from exc
        return SpendTerms(generate_audio_default=self._generate_audio, budgets=left)
