"""Which database: DATABASE_URL, else the embedded pgserver; one shared pool per DSN and event loop."""

from __future__ import annotations

import tempfile
from pathlib import Path

import asyncpg
import pytest

from activities.config import Settings
from activities.postgres.embedded import resolve_database_url
from activities.postgres.pool import get_shared_pool, safe_dsn


async def test_database_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.internal:5432/retake")
    found = await resolve_database_url(Settings())
    assert found.get_secret_value() == "postgresql://app:pw@db.internal:5432/retake"
    assert "pw" not in repr(found) and "pw" not in str(found)  # a secret type, not a str


async def test_embedded_postgres_starts_in_a_long_data_dir(postgres_root: Path) -> None:
    """A data dir too long for a unix socket path still gets a working server."""
    data_dir = Path(tempfile.mkdtemp(dir=postgres_root)) / ("d" * 60) / ("e" * 60)
    settings = Settings(database_url=None, RETAKE_DATA_DIR=data_dir)
    assert len(str(data_dir / "postgres" / ".s.PGSQL.5432")) > 107
    dsn = (await resolve_database_url(settings)).get_secret_value()
    assert (data_dir / "postgres" / "PG_VERSION").exists()  # the data is where it was asked
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()
    import pgserver

    server = pgserver.get_server(data_dir / "postgres")
    pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


async def test_shared_pool_follows_database_url(shared_pool_dsn: str) -> None:
    pool = await get_shared_pool()
    assert await get_shared_pool() is pool
    assert await pool.fetchval("SELECT count(*) FROM schema_migrations") >= 2


def test_safe_dsn_hides_the_password() -> None:
    assert safe_dsn("postgresql://app:hunter2@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert safe_dsn("postgresql://app@db/x") == "postgresql://app@db/x"
