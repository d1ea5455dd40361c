"""Postgres connection pools: JSON codecs, the schema migrated (or checked) on first use.

`create_pool` is what the worker and tests use; `get_shared_pool` is the shared pool
behind the original module's loaders (activities/job_store/stage_loaders.py). An asyncpg
pool only works on the event loop that created it, so shared pools are kept per event
loop: a second `asyncio.run` gets a pool of its own instead of a dead one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import SecretStr

from activities.config import Settings
from activities.postgres.dsn import safe_dsn
from activities.postgres.embedded import resolve_database_url
from activities.postgres.migrations import apply_migrations, check_schema

__all__ = ["create_pool", "dumps", "get_shared_pool", "reset_shared_pool", "safe_dsn"]

log = logging.getLogger(__name__)

_migrated: set[str] = set()  # DSNs migrated by this process
_EMBEDDED = "embedded"


class _LoopPools:
    """The shared pools of one event loop, by DATABASE_URL (or _EMBEDDED), and its lock."""

    def __init__(self) -> None:
        self.pools: dict[str, asyncpg.Pool] = {}
        self.lock = asyncio.Lock()


_by_loop: dict[asyncio.AbstractEventLoop, _LoopPools] = {}


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


async def create_pool(dsn: str | SecretStr, *, migrate: bool = True, **kw: Any) -> asyncpg.Pool:
    """An asyncpg pool with JSON codecs. With `migrate`, pending migrations are applied on
    first use of a DSN; without, the schema is checked and an older one raises
    SchemaOutdated (the login then needs no right to change the schema)."""
    url = dsn.get_secret_value() if isinstance(dsn, SecretStr) else dsn
    kw.setdefault("min_size", 1)
    kw.setdefault("max_size", 10)
    kw.setdefault("command_timeout", 30)
    pool = await asyncpg.create_pool(url, init=_init_connection, **kw)
    if not (migrate and url in _migrated):
        try:
            async with pool.acquire() as conn:
                await (apply_migrations(conn) if migrate else check_schema(conn))
        except BaseException:
            await pool.close()
            raise
        if migrate:
            _migrated.add(url)
    return pool


def _pools_of_this_loop() -> _LoopPools:
    """This loop's shared pools; those of closed loops are forgotten (they cannot be used)."""
    loop = asyncio.get_running_loop()
    for old in [other for other in _by_loop if other.is_closed()]:
        del _by_loop[old]
    return _by_loop.setdefault(loop, _LoopPools())


async def get_shared_pool() -> asyncpg.Pool:
    """The shared pool of the running event loop, for DATABASE_URL (or the embedded default).

    Re-reads DATABASE_URL on each call, so a changed value gets its own pool.
    """
    key = os.environ.get("DATABASE_URL") or _EMBEDDED
    mine = _pools_of_this_loop()
    pool = mine.pools.get(key)
    if pool is not None:
        return pool
    async with mine.lock:
        if key not in mine.pools:
            settings = Settings()
            dsn = await resolve_database_url(settings)
            mine.pools[key] = await create_pool(dsn, migrate=settings.migrates_itself)
        return mine.pools[key]


async def reset_shared_pool() -> None:
    """Close this loop's shared pools (tests; shutdown); other loops' pools are forgotten."""
    loop = asyncio.get_running_loop()
    mine = _by_loop.pop(loop, None)
    _by_loop.clear()
    for pool in (mine.pools.values() if mine else []):
        await pool.close()
