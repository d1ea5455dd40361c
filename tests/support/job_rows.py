"""Write job rows directly, in the shapes a pipeline might have left them (test helpers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import asyncpg


async def new_job(pool: asyncpg.Pool) -> UUID:
    """A job row with no stages yet."""
    job = uuid4()
    await pool.execute("INSERT INTO jobs (id) VALUES ($1)", job)
    return job


async def set_stage(pool: asyncpg.Pool, job: UUID, stage: str, metadata: Any) -> None:
    """Upsert one stage. A Python str is stored as a jsonb *string* (JSON text, maybe invalid);
    None is SQL NULL; anything else is stored as a JSON value."""
    await pool.execute(
        """INSERT INTO job_stages (job_id, stage_name, metadata) VALUES ($1, $2, $3)
           ON CONFLICT (job_id, stage_name) DO UPDATE SET metadata = EXCLUDED.metadata""",
        job, stage, metadata,
    )


async def drop_stage(pool: asyncpg.Pool, job: UUID, stage: str) -> None:
    await pool.execute("DELETE FROM job_stages WHERE job_id = $1 AND stage_name = $2", job, stage)


async def stage_metadata(pool: asyncpg.Pool, job: UUID, stage: str) -> Any:
    return await pool.fetchval(
        "SELECT metadata FROM job_stages WHERE job_id = $1 AND stage_name = $2", job, stage
    )
