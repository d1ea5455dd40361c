"""How long the code asks to wait for a connection of a real asyncpg pool, and a real pool
with no connection free (test helpers).

- `NotedAcquires(pool)`: the pool itself, but every `acquire(timeout=...)` is noted in
  `waits`. With `wait`, the real pool is asked to wait that long instead, so an exhausted
  pool fails as asyncpg fails it (TimeoutError) in a fraction of a second, not after the
  30 s the ledger asks for. Only the clock is shortened: the pool, its connections and
  the error are real.
- `exhausted_pool(dsn)`: a real pool of one connection, held by the test until the end.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from activities.postgres.pool import create_pool


class NotedAcquires:
    def __init__(self, pool: asyncpg.Pool, wait: float | None = None) -> None:
        self.pool, self.wait = pool, wait
        self.waits: list[float | None] = []

    def acquire(self, *, timeout: float | None = None) -> Any:
        self.waits.append(timeout)
        return self.pool.acquire(timeout=timeout if self.wait is None else self.wait)

    def __getattr__(self, name: str) -> Any:  # release, fetchrow, ...: the pool's own
        return getattr(self.pool, name)


@contextlib.asynccontextmanager
async def exhausted_pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, migrate=False, min_size=1, max_size=1)
    try:
        async with pool.acquire():  # its only connection, taken for the whole block
            yield pool
    finally:
        await pool.close()
