"""Migrations: applied once, in order, safely from several connections at once; the schema's rules."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
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


_INSTALLED_CHECK = """
import asyncio, json
import os
import activities
from activities.config import Settings
from activities.job_store.sample_data import PACKAGED_SAMPLE
from activities.postgres.pool import create_pool

async def main(dsn):
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        versions = [r["version"] for r in
                    await pool.fetch("SELECT version FROM schema_migrations ORDER BY version")]
        tables = sorted(r["t"] for r in await pool.fetch(
            "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public'"))
    finally:
        await pool.close()
    print(json.dumps({"package": activities.__file__, "versions": versions, "tables": tables,
                      "sample": PACKAGED_SAMPLE.is_file(), "cwd": os.getcwd(),
                      "data_dir": str(Settings().data_dir)}))

import sys
asyncio.run(main(sys.argv[1]))
"""


def _copy_source(dest: Path) -> Path:
    """The files a wheel is built from, so the build leaves the work tree untouched."""
    root = Path(__file__).resolve().parent.parent
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("activities", "workflows", "retake"):
        shutil.copytree(root / name, dest / name, ignore=skip)
    for name in ("pyproject.toml", "README.md", "worker.py", "starter.py"):
        shutil.copy2(root / name, dest / name)
    return dest


def test_an_installed_wheel_applies_its_schema_from_anywhere(
    fresh_database: str, tmp_path: Path
) -> None:
    """pip wheel, a non-editable install in a fresh venv, run from an empty directory."""
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    source = _copy_source(tmp_path / "src")
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w",
                            tmp_path / "dist", source], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, (  # offline build: needs the test extra's setuptools>=70.1
        "pip wheel failed (re-run `pip install -e '.[test]'`): " + built.stderr[-1500:]
    )
    (wheel,) = (tmp_path / "dist").glob("retake-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=60)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", python, "install", "--no-deps", "--no-index", wheel],
                   check=True, capture_output=True, timeout=120)
    # Dependencies come from the test environment's site-packages: a plain path entry, so its
    # editable-install hooks (.pth files) stay off and only the wheel provides `activities`.
    site = Path(subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True,
    ).strip())
    (site / "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([python, "-c", _INSTALLED_CHECK, fresh_database], cwd=empty,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["package"].startswith(str(site))  # the installed copy, not the source
    assert found["versions"] == [p.name for p in _migration_files()]
    assert {"jobs", "job_stages", "clip_versions", "veo_submissions"} <= set(found["tables"])
    assert found["sample"]  # the sample job ships too
    assert found["data_dir"] == str(Path(found["cwd"]) / ".data")  # not inside site-packages
