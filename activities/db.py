"""Postgres connections: which database, one pool per DSN, migrations applied once.

With DATABASE_URL unset, Retake starts a real Postgres from the `pgserver` wheel in
the project-local data folder, so a fresh machine needs no database install.
Migrations (migrations/*.sql, in name order) are recorded in `schema_migrations`
and applied under an advisory lock, so several workers starting at once are safe.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import asyncpg

from activities.config import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
_MIGRATION_LOCK_KEY = 7_348_112_901  # any constant: serialises migration runs

_migrated: set[str] = set()  # DSNs migrated by this process
_EMBEDDED = "embedded"
_shared_pools: dict[str, asyncpg.Pool] = {}  # by DATABASE_URL, or _EMBEDDED
_shared_lock: asyncio.Lock | None = None


def safe_dsn(dsn: str) -> str:
    """The DSN without its password, fit for a log line."""
    parts = urlsplit(dsn)
    if not parts.password:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def _start_embedded(pgdata: Path) -> str:
    """Start (or join) the pgserver Postgres in `pgdata`; blocking, so run in a thread.

    pgserver puts the unix socket in `pgdata` when that path is short enough
    (~107 characters with the socket name) and in a short runtime folder otherwise.
    """
    import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    return server.get_uri()


async def resolve_database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL when set, else the embedded Postgres in data_dir/postgres."""
    settings = settings or Settings()
    if settings.database_url:
        return settings.database_url
    pgdata = Path(settings.data_dir) / "postgres"
    dsn = await asyncio.to_thread(_start_embedded, pgdata)
    log.info("using the embedded Postgres in %s", pgdata)
    return dsn


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # costs stay exact, as the pipeline stores them
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """json/jsonb arrive as Python objects and are sent from them."""
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=dumps, decoder=json.loads, schema="pg_catalog"
        )


def _migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("*.sql"))


async def apply_migrations(conn: asyncpg.Connection) -> list[str]:
    """Apply pending migrations in name order; returns the ones applied now."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    TEXT PRIMARY KEY,
                   checksum   TEXT NOT NULL,
                   applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        for path in _migration_files():
            sql = path.read_text()
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if path.name in done:
                if done[path.name] != checksum:
                    log.warning("migration %s changed after it was applied; not re-run", path.name)
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                    path.name,
                    checksum,
                )
            applied_now.append(path.name)
            log.info("applied migration %s", path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK_KEY)
    return applied_now


async def create_pool(dsn: str, **kw: Any) -> asyncpg.Pool:
    """An asyncpg pool with JSON codecs; the schema is migrated on first use of a DSN."""
    kw.setdefault("min_size", 1)
    kw.setdefault("max_size", 10)
    kw.setdefault("command_timeout", 30)
    pool = await asyncpg.create_pool(dsn, init=_init_connection, **kw)
    if dsn not in _migrated:
        try:
            async with pool.acquire() as conn:
                await apply_migrations(conn)
        except BaseException:
            await pool.close()
            raise
        _migrated.add(dsn)
    return pool


async def get_shared_pool() -> asyncpg.Pool:
    """The process-wide pool the loaders use, for DATABASE_URL (or the embedded default).

    Re-reads DATABASE_URL on each call, so a changed value gets its own pool.
    """
    global _shared_lock
    key = os.environ.get("DATABASE_URL") or _EMBEDDED
    pool = _shared_pools.get(key)
    if pool is not None:
        return pool
    if _shared_lock is None:
        _shared_lock = asyncio.Lock()
    async with _shared_lock:
        if key not in _shared_pools:
            dsn = await resolve_database_url(Settings())
            _shared_pools[key] = await create_pool(dsn)
        return _shared_pools[key]


async def reset_shared_pool() -> None:
    """Close every shared pool (tests; shutdown)."""
    global _shared_lock
    pools = list(_shared_pools.values())
    _shared_pools.clear()
    _shared_lock = None
    for pool in pools:
        await pool.close()
