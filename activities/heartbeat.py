"""Background heartbeats for activities that wait on the network.

A worker that dies mid-call stops heartbeating, so Temporal retries the attempt
after the short heartbeat timeout instead of the long start-to-close timeout; a
heartbeat is also how a running activity learns that its workflow was cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from temporalio import activity

HEARTBEAT_EVERY_SECONDS = 2.0


@asynccontextmanager
async def heartbeating(
    every: float = HEARTBEAT_EVERY_SECONDS, details: Callable[[], Sequence[Any]] | None = None
) -> AsyncIterator[None]:
    """Heartbeat every `every` seconds while the body runs.

    `details` gives what each beat carries (a heartbeat without details would erase
    what an earlier beat, or an earlier attempt, left for the next attempt). A no-op
    outside an activity and in a local activity, whose liveness the workflow task
    already tracks.
    """
    if not activity.in_activity() or activity.info().is_local:
        yield
        return

    async def beat() -> None:
        while True:
            activity.heartbeat(*(details() if details else ()))
            await asyncio.sleep(every)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
