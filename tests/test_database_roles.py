"""Two database logins: `starter.py migrate` changes the schema, the worker only reads and writes.

The test Postgres is a superuser's; each test makes a migration role that owns a fresh
database and an application role without DDL rights, as docs/operations.md sets them up.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest

from activities.config import Settings
from activities.job_store.sample_data import load_sample_job
from activities.postgres.dsn import dsn_passwords
from activities.postgres.embedded import embedded_allowed, in_container
from activities.postgres.migrations import _migration_files
from activities.postgres.pool import create_pool
from retake.client import start_regeneration
from tests.support.subprocess_env import scrubbed_env
from tests.support.worker_process import WorkerProcess, worker_env
from workflows.models import RegenerateClipInput, RegenerateOptions

ROOT = Path(__file__).resolve().parent.parent


def login(dsn: str, *, user: str, password: str, database: str) -> str:
    """The test server's DSN with another user, password and database (socket kept)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}", path=f"/{database}"))


@pytest.fixture
async def two_roles(db_pool: asyncpg.Pool, postgres_dsn: str):
    """(migration DSN, app role, app DSN): a fresh database owned by the migration role."""
    if not urlsplit(postgres_dsn).path.startswith("/postgres"):
        pytest.skip("needs the suite's own pgserver (TEST_DATABASE_URL names another server)")
    tag = uuid4().hex[:8]
    owner, app, database = f"retake_owner_{tag}", f"retake_app_{tag}", f"retake_roles_{tag}"
    owner_pw, app_pw = f"owner-{uuid4().hex}", f"app-{uuid4().hex}"
    # Generated names and passwords, not input.
    await db_pool.execute(f"CREATE ROLE {owner} LOGIN PASSWORD '{owner_pw}'")
    await db_pool.execute(f"CREATE ROLE {app} LOGIN PASSWORD '{app_pw}'")
    await db_pool.execute(f"CREATE DATABASE {database} OWNER {owner}")
    yield (login(postgres_dsn, user=owner, password=owner_pw, database=database), app,
           login(postgres_dsn, user=app, password=app_pw, database=database))
    await db_pool.execute(f"DROP DATABASE {database} WITH (FORCE)")
    for role in (app, owner):
        await db_pool.execute(f"DROP ROLE {role}")


def run_starter(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "starter.py", *args], cwd=ROOT,
                          env=scrubbed_env(**env), capture_output=True, text=True, timeout=120)


async def test_migrate_grants_and_a_worker_without_ddl_rights_regenerates_a_clip(
    two_roles, temporal_client, task_queue: str, tmp_path: Path
) -> None:
    owner_dsn, app, app_dsn = two_roles
    done = run_starter("migrate", "--grant-to", app, RETAKE_MIGRATION_DATABASE_URL=owner_dsn)
    assert done.returncode == 0, done.stderr
    names = [f.name for f in _migration_files()]
    assert f"applied {', '.join(names)}; rights granted to {app}" in done.stdout
    assert owner_dsn.split(":")[2].split("@")[0] not in done.stdout + done.stderr  # password

    conn = await asyncpg.connect(app_dsn)
    try:  # the application's login cannot change the schema, nor the migration record
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE sneaky (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("ALTER TABLE clip_versions ADD COLUMN sneaky int")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM schema_migrations")
    finally:
        await conn.close()

    owner_pool = await create_pool(owner_dsn, min_size=1, max_size=1)
    try:
        job = await load_sample_job(owner_pool, job_id=uuid4())
    finally:
        await owner_pool.close()
    worker = WorkerProcess(worker_env(
        temporal_address=temporal_client.service_client.config.target_host,
        database_url=app_dsn, task_queue=task_queue, data_dir=tmp_path / "worker",
    ), tmp_path / "worker.log")
    await worker.start()
    try:
        handle = await start_regeneration(temporal_client, RegenerateClipInput(
            job_id=job, clip_index=1, instruction="make it nighttime",
            options=RegenerateOptions(poll_interval_seconds=1)), task_queue=task_queue)
        result = await asyncio.wait_for(handle.result(), timeout=120)
    finally:
        worker.stop()
    assert result.version == 2, worker.log_text()
    assert "applied migration" not in worker.log_text()  # it checked, never migrated


async def test_a_worker_refuses_an_older_schema_and_says_what_to_run(
    two_roles, temporal_client, task_queue: str, tmp_path: Path
) -> None:
    owner_dsn, app, app_dsn = two_roles
    assert run_starter("migrate", "--grant-to", app,
                       RETAKE_MIGRATION_DATABASE_URL=owner_dsn).returncode == 0
    newest = _migration_files()[-1].name
    conn = await asyncpg.connect(owner_dsn)
    try:  # as if this build added a migration nobody has applied yet
        await conn.execute("DELETE FROM schema_migrations WHERE version = $1", newest)
    finally:
        await conn.close()
    env = worker_env(temporal_address=temporal_client.service_client.config.target_host,
                     database_url=app_dsn, task_queue=task_queue, data_dir=tmp_path / "w")
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "worker.py"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120)
    log = done.stdout + done.stderr
    assert done.returncode == 2, log
    assert "cannot start: the database schema is older than this code" in log
    assert newest in log and "starter.py migrate" in log
    assert "worker on task queue" not in log
    assert app_dsn.split(":")[2].split("@")[0] not in log  # the app password never printed

    # A worker allowed to migrate tries, and its login's missing rights stop it.
    env["RETAKE_AUTO_MIGRATE"] = "true"
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "worker.py"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "InsufficientPrivilege" in done.stdout + done.stderr


def test_a_worker_refuses_to_start_an_embedded_postgres_where_forbidden(tmp_path: Path) -> None:
    """RETAKE_EMBEDDED_POSTGRES=false (the image sets it) and no DATABASE_URL: no database of
    its own, and a message saying what to set."""
    done = subprocess.run(
        [sys.executable, "worker.py"], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=scrubbed_env(RETAKE_EMBEDDED_POSTGRES="false", RETAKE_DATA_DIR=str(tmp_path),
                         TEMPORAL_ADDRESS="127.0.0.1:1"),
    )
    assert done.returncode == 2, done.stderr
    assert "cannot start: DATABASE_URL is not set" in done.stderr
    assert "RETAKE_EMBEDDED_POSTGRES=false" in done.stderr
    assert not (tmp_path / "postgres").exists()


def test_in_a_container_the_embedded_postgres_needs_an_explicit_yes() -> None:
    unset = Settings(RETAKE_EMBEDDED_POSTGRES=None)
    assert embedded_allowed(unset, container=False)
    assert not embedded_allowed(unset, container=True)
    assert embedded_allowed(Settings(RETAKE_EMBEDDED_POSTGRES=True), container=True)
    assert not embedded_allowed(Settings(RETAKE_EMBEDDED_POSTGRES=False), container=False)


def test_container_markers_are_docker_and_podman_files(tmp_path: Path) -> None:
    assert not in_container(tmp_path)
    (tmp_path / ".dockerenv").touch()
    assert in_container(tmp_path)
    (tmp_path / ".dockerenv").unlink()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".containerenv").touch()
    assert in_container(tmp_path)


async def test_the_suites_worker_login_has_a_password_and_no_ddl_rights(app_database_url) -> None:
    """Worker processes of the suite connect as this login, so the leak scans
    (tests/reliability/leaks.py) have a database password to look for."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("TEST_DATABASE_URL: the suite's own login is not made")
    assert dsn_passwords(app_database_url)
    conn = await asyncpg.connect(app_database_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE sneaky (id int)")
    finally:
        await conn.close()


def test_migrate_that_cannot_connect_says_so_without_the_password() -> None:
    done = run_starter("migrate", RETAKE_MIGRATION_DATABASE_URL="postgresql://u:t0psecret@127.0.0.1:1/x")
    assert done.returncode == 1
    assert "migrate failed on postgresql://u:***@127.0.0.1:1/x" in done.stderr
    assert "reachable" in done.stderr and "t0psecret" not in done.stdout + done.stderr
