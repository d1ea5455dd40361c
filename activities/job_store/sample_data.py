"""Load the sample job (activities/job_store/sample_job.json) into Postgres.

    python -m activities.job_store.sample_data            # into DATABASE_URL, or the embedded Postgres

Loading restores the job to the fixture: its four stages are upserted and its clip
versions cleared, so a demo can be re-run from the same starting point. With a new
job id, every id and URL of the job is rewritten to it, so many copies can coexist.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from uuid import UUID

import asyncpg

from activities.config import Settings
from activities.postgres.embedded import resolve_database_url
from activities.postgres.pool import create_pool, safe_dsn

PACKAGED_SAMPLE = Path(__file__).with_name("sample_job.json")  # a copy of the shared fixture


def default_sample_path() -> Path:
    """RETAKE_SAMPLE_JOB when set, else the copy shipped with the package."""
    return Path(os.environ.get("RETAKE_SAMPLE_JOB") or PACKAGED_SAMPLE)


def read_sample(path: Path | None = None, job_id: UUID | None = None) -> tuple[UUID, dict]:
    """The fixture's job id and stages; with job_id, the fixture's id is replaced everywhere."""
    text = Path(path or default_sample_path()).read_text()
    original = UUID(json.loads(text)["job_id"])
    if job_id is not None and job_id != original:
        text = text.replace(str(original), str(job_id))
    data = json.loads(text)
    return UUID(data["job_id"]), data["stages"]


async def load_sample_job(
    pool: asyncpg.Pool, path: Path | None = None, job_id: UUID | None = None
) -> UUID:
    """Upsert the sample job's row and four stages in one transaction; returns its id."""
    job, stages = read_sample(path, job_id)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """INSERT INTO jobs (id, status) VALUES ($1, 'completed')
               ON CONFLICT (id) DO UPDATE SET status = 'completed', updated_at = now()""",
            job,
        )
        await conn.executemany(
            """INSERT INTO job_stages (job_id, stage_name, status, metadata)
               VALUES ($1, $2, 'completed', $3)
               ON CONFLICT (job_id, stage_name)
               DO UPDATE SET metadata = EXCLUDED.metadata, status = 'completed', updated_at = now()""",
            [(job, name, metadata) for name, metadata in stages.items()],
        )
        await conn.execute("DELETE FROM clip_versions WHERE job_id = $1", job)
    return job


async def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, default=None, help="fixture file (default: packaged)")
    parser.add_argument("--job-id", type=UUID, default=None, help="load under this job id")
    args = parser.parse_args(argv)
    settings = Settings()
    dsn = await resolve_database_url(settings)
    pool = await create_pool(dsn, migrate=settings.migrates_itself, min_size=1, max_size=2)
    try:
        job = await load_sample_job(pool, args.path, args.job_id)
    finally:
        await pool.close()
    print(f"Loaded sample job {job} into {safe_dsn(dsn.get_secret_value())}")


if __name__ == "__main__":
    asyncio.run(_main())
