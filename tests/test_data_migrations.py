"""Migrations: applied once, in order, safely from several connections at once; the schema's rules."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import asyncpg
import pytest

from activities.postgres.migrations import _migration_files, apply_migrations


@pytest.fixture
async def fresh_database(db_pool: asyncpg.Pool, postgres_dsn: str):
    """An empty database on the test server, dropped afterwards."""
    name = f"retake_mig_{uuid4().hex[:8]}"
    await db_pool.execute(f'CREATE DATABASE "{name}"')  # a generated name, not input
    dsn = postgres_dsn.replace("/postgres?", f"/{name}?", 1)
    if dsn == postgres_dsn:
        pytest.skip("cannot derive a second database's DSN from TEST_DATABASE_URL")
    yield dsn
    await db_pool.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


async def test_concurrent_runs_apply_each_migration_once(fresh_database: str) -> None:
    conns = [await asyncpg.connect(fresh_database) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(apply_migrations(c) for c in conns))
        names = [p.name for p in _migration_files()]
        assert sorted(applied, key=len)[-1] == names  # one run applied all, in order
        assert sum(len(a) for a in applied) == len(names)  # the others found nothing to do
        assert await apply_migrations(conns[0]) == []
        recorded = await conns[0].fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in recorded] == names
    finally:
        for c in conns:
            await c.close()


async def test_only_one_version_of_a_clip_is_current(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    insert = """INSERT INTO clip_versions (job_id, clip_index, version_number, is_current)
                VALUES ($1, 0, $2, true)"""
    await db_pool.execute(insert, sample_job_id, 1)
    with pytest.raises(asyncpg.UniqueViolationError):
        await db_pool.execute(insert, sample_job_id, 2)


async def test_a_stage_appears_once_per_job(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    with pytest.raises(asyncpg.UniqueViolationError):
        await db_pool.execute(
            "INSERT INTO job_stages (job_id, stage_name, metadata) VALUES ($1, 'scene_planner', '{}')",
            sample_job_id,
        )
