"""Schema migrations: activities/postgres/migrations/*.sql applied once each, in name order.

The .sql files ship inside the package (package data, read with importlib.resources),
so an installed wheel migrates its database from any working directory.

Applied runs are recorded in `schema_migrations` (with a checksum) under an advisory
lock, so several workers starting at once are safe. `starter.py migrate` applies them
with a login allowed to change the schema; a worker on DATABASE_URL only checks that
none is missing (`check_schema`), so its own login needs no DDL rights.
"""

from __future__ import annotations

import hashlib
import logging
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

log = logging.getLogger(__name__)

MIGRATIONS_DIR: Traversable = files("activities.postgres") / "migrations"
_MIGRATION_LOCK_KEY = 7_348_112_901  # any constant: serialises migration runs


class SchemaOutdated(RuntimeError):
    """The database lacks migrations this code needs."""


def _migration_files() -> list[Traversable]:
    return sorted(
        (f for f in MIGRATIONS_DIR.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
    )


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
            sql = path.read_text(encoding="utf-8")
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


async def pending_migrations(conn: asyncpg.Connection) -> list[str]:
    """The migrations this code ships that the database has not applied (read-only)."""
    names = [f.name for f in _migration_files()]
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return names
    done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
    return [name for name in names if name not in done]


async def check_schema(conn: asyncpg.Connection) -> None:
    """Raise SchemaOutdated, saying what to run, unless every migration is applied.

    A newer schema (migrations this code does not know) is accepted: migrations only
    add, so the previous build keeps working during a rolling deploy.
    """
    missing = await pending_migrations(conn)
    if missing:
        raise SchemaOutdated(
            f"the database schema is older than this code: {len(missing)} migration(s) "
            f"missing ({', '.join(missing)}). Apply them with the migration login: "
            "RETAKE_MIGRATION_DATABASE_URL=... python starter.py migrate "
            "(docs/operations.md, \"Database roles\"); or set RETAKE_AUTO_MIGRATE=true "
            "if this worker's login may change the schema.")
