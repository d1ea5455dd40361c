"""Which clips a job has: what a batch regeneration of "all" clips means."""

from __future__ import annotations

from uuid import UUID

import asyncpg
from temporalio import activity

from activities.job_store import queries as sql
from activities.job_store.job_store_activities import CONNECTION_FAULTS, database_unavailable


class JobClipsActivities:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn
    async def list_clip_indexes(self, job_id: UUID) -> list[int]:
        """The job's clip indexes, ascending; empty when it has no readable clips list."""
        try:
            indexes = await self.pool.fetchval(sql.CLIP_INDEXES, job_id)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable(f"listing the clips of job {job_id}", exc) from exc
        return sorted(indexes)
