"""A real Postgres for the suite: TEST_DATABASE_URL when set, else pgserver in a temp folder.

Fixtures:
- `postgres_dsn` (session): the test database's DSN, migrated (as `starter.py migrate` would
  do before a deploy: worker processes on DATABASE_URL only check the schema).
- `app_database_url` (session): the test database as a login of its own with a password and
  the application's rights only (no DDL), as production workers connect; worker processes
  use it, and leak scans look for its password.
- `db_pool` (session): an asyncpg pool from activities.postgres.pool.create_pool.
- `sample_job_id` (function): the sample job loaded under a fresh UUID, so tests never collide.
- `shared_pool_dsn` (function): points DATABASE_URL, and so the loaders' shared pool, at the
  test database.
- `private_postgres` (function): a `PrivatePostgres`, not yet started, stopped afterwards.
- `outage_db` (function): (server, pool, job): a started `PrivatePostgres` with the sample job.
`PrivatePostgres` runs a separate server in a given folder that a test may stop and
restart (outages), keeping its data and its socket, so its DSN stays valid.

Server folders live under `postgres_root`, outside pytest's basetemp: run as root,
pgserver runs Postgres as a `pgserver` user that must traverse the folder's parents,
and every pytest session resets its basetemp root to mode 0700, which would lock that
user out of a server another session started.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import asyncpg
import pgserver
import pytest
import pytest_asyncio
from pgserver.utils import PostmasterInfo

from activities.job_store.sample_data import load_sample_job
from activities.postgres.migrations import apply_migrations
from activities.postgres.pool import create_pool, reset_shared_pool
from activities.postgres.roles import grant_app_role
from tests.support.job_rows import version_problems


class PrivatePostgres:
    """A pgserver Postgres of its own in `folder`, for tests that take the database away."""

    def __init__(self, folder: Path) -> None:
        self.pgdata = Path(folder) / "pgdata"
        self._server: pgserver.PostgresServer | None = None
        self._dsn: str | None = None

    @property
    def dsn(self) -> str:
        if self._dsn is None:
            raise RuntimeError("PrivatePostgres.start() has not been called")
        return self._dsn

    @property
    def running(self) -> bool:
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()

    def start(self) -> str:
        """Start (first time: initdb and start); returns the DSN, the same every time."""
        if self._server is None:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
            self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")
        elif not self.running:
            with pgserver.PostgresServer._lock:
                self._server.ensure_postgres_running()
        self._dsn = self._server.get_uri()
        return self._dsn

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (pg_ctl mode: smart, fast or immediate); data stays."""
        if self._server is not None and self.running:
            pgserver.pg_ctl(["-w", "-m", mode, "stop"], pgdata=self.pgdata,
                            user=self._server.system_user)

    def restart(self) -> str:
        self.stop()
        return self.start()


@pytest.fixture(scope="session")
def postgres_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="retake-pg-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def migrate(dsn: str) -> None:
    """Apply the migrations on a connection of a loop of its own (a sync fixture's)."""

    async def _apply() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()

    asyncio.run(_apply())


@pytest.fixture(scope="session")
def postgres_dsn(postgres_root: Path) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        migrate(url)
        yield url
        return
    server = PrivatePostgres(postgres_root / "session")
    dsn = server.start()
    migrate(dsn)
    yield dsn
    server.stop()


@pytest.fixture(scope="session")
def app_database_url(postgres_dsn: str) -> str:
    """A DML-only login with a password on the session database (the password is checked
    by no one on pgserver's trust authentication, but it travels in the URL like a real one).
    With TEST_DATABASE_URL, that URL itself: its server's roles are not ours to make."""
    if os.environ.get("TEST_DATABASE_URL"):
        return postgres_dsn
    role, password = f"retake_app_{uuid4().hex[:8]}", f"pw-{uuid4().hex}"

    async def _make() -> None:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            await conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")  # generated
            await grant_app_role(conn, role)
        finally:
            await conn.close()

    asyncio.run(_make())
    parts = urlsplit(postgres_dsn)
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{parts.netloc.rpartition('@')[2]}"))


@pytest.fixture
def private_postgres(postgres_root: Path) -> Iterator[PrivatePostgres]:
    server = PrivatePostgres(postgres_root / uuid4().hex[:12])
    yield server
    server.stop()


@pytest_asyncio.fixture
async def outage_db(private_postgres: PrivatePostgres):
    """(server, pool, job): a PrivatePostgres started, with the sample job, for tests that
    stop it while a step runs."""
    dsn = private_postgres.start()
    pool = await create_pool(dsn, min_size=1, max_size=4)
    job = await load_sample_job(pool)
    yield private_postgres, pool, job
    await pool.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def db_pool(postgres_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(postgres_dsn, min_size=1, max_size=10)
    yield pool
    await reset_shared_pool()
    await pool.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sample_job_id(db_pool: asyncpg.Pool) -> UUID:
    return await load_sample_job(db_pool, job_id=uuid4())


@pytest_asyncio.fixture(loop_scope="session")
async def one_current_version_per_clip(db_pool: asyncpg.Pool, sample_job_id: UUID):
    """After the test, whatever it persisted: each clip of the sample job with saved
    versions has exactly one current version, and its entry shows that version (issue 35:
    a slip that retires or patches another clip shows up in every test that persists).
    A module asks for it with `pytestmark = pytest.mark.usefixtures(...)`."""
    yield
    assert await version_problems(db_pool, sample_job_id) == []


@pytest.fixture
def shared_pool_dsn(
    db_pool: asyncpg.Pool, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("DATABASE_URL", postgres_dsn)
    return postgres_dsn
