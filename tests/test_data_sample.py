"""The sample job: loaded under any id, idempotent, and loadable with one command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import pytest

from activities.config import PROJECT_ROOT
from activities.job_store.sample_data import PACKAGED_SAMPLE, load_sample_job, read_sample
from tests.support.subprocess_env import scrubbed_env

SHARED_FIXTURE = PROJECT_ROOT.parent / "shared" / "fixtures" / "sample_job.json"
FIXTURE_JOB = "550e8400-e29b-41d4-a716-446655440000"


@pytest.mark.skipif(not SHARED_FIXTURE.exists(), reason="../shared is not beside this clone")
def test_packaged_copy_matches_the_shared_fixture() -> None:
    assert json.loads(PACKAGED_SAMPLE.read_text()) == json.loads(SHARED_FIXTURE.read_text())


async def test_a_new_job_id_rewrites_every_id_and_url(db_pool: asyncpg.Pool) -> None:
    job = await load_sample_job(db_pool, job_id=uuid4())
    rows = await db_pool.fetch("SELECT stage_name, metadata FROM job_stages WHERE job_id = $1", job)
    assert sorted(r["stage_name"] for r in rows) == [
        "prompt_generator", "reference_generator", "scene_planner", "video_generator"
    ]
    text = json.dumps([r["metadata"] for r in rows])
    assert FIXTURE_JOB not in text
    assert f"/jobs/{job}/clips/clip_3.mp4" in text and f'"job_id": "{job}"' in text


async def test_loading_again_restores_the_fixture(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    await db_pool.execute(
        "UPDATE job_stages SET metadata = '{}' WHERE job_id = $1 AND stage_name = 'scene_planner'",
        sample_job_id,
    )
    await db_pool.execute(
        "INSERT INTO clip_versions (job_id, clip_index, version_number) VALUES ($1, 0, 1)", sample_job_id
    )
    assert await load_sample_job(db_pool, job_id=sample_job_id) == sample_job_id
    _, stages = read_sample(job_id=sample_job_id)
    plan = await db_pool.fetchval(
        "SELECT metadata FROM job_stages WHERE job_id = $1 AND stage_name = 'scene_planner'", sample_job_id
    )
    assert plan == stages["scene_planner"]
    assert await db_pool.fetchval(
        "SELECT count(*) FROM clip_versions WHERE job_id = $1", sample_job_id
    ) == 0


async def test_the_one_command_loads_the_sample_job(
    db_pool: asyncpg.Pool, postgres_dsn: str, tmp_path: Path
) -> None:
    job = uuid4()
    custom = tmp_path / "job.json"  # RETAKE_SAMPLE_JOB picks the fixture file
    custom.write_text(PACKAGED_SAMPLE.read_text().replace(FIXTURE_JOB, str(job)))
    env = scrubbed_env(DATABASE_URL=postgres_dsn, RETAKE_SAMPLE_JOB=str(custom))
    done = subprocess.run(
        [sys.executable, "-m", "activities.job_store.sample_data"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"Loaded sample job {job}" in done.stdout
    assert await db_pool.fetchval("SELECT count(*) FROM job_stages WHERE job_id = $1", job) == 4
