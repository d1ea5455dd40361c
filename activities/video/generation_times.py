"""What Retake has seen of each generation's time, on the ledger's operations (migration 008).

The wait activity reads here how long ago an operation was submitted and how long this
model's recent generations took (for activities/video/poll_schedule.py), and writes
what each status check saw. All times are the database's clock. A failure here never
fails a poll: the wait falls back to the workflow's fixed interval and says so in the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import asyncpg

from activities.video.poll_schedule import PollSchedule, learned_schedule

log = logging.getLogger(__name__)

RECENT = 50  # durations per model the schedule learns from (benchmarks/bench_fresh_jobs.py)
MAX_AGE_DAYS = 7  # older runs say little about today's Veo
CACHE_SECONDS = 30.0  # per-model durations are re-read at most this often per worker

# The model as sent (the echo, migration 003), else the reservation's.
_MODEL = "COALESCE(o.request->>'model', s.model)"
_SUBMITTED = f"""
SELECT o.backend, {_MODEL} AS model,
       EXTRACT(EPOCH FROM now() - o.created_at)::float8 AS elapsed
FROM veo_operations o JOIN veo_submissions s USING (regeneration_id)
WHERE o.operation_name = $1
"""
# The finish lies between the last check that saw the job running and the first that
# saw it done: its midpoint (or the done check alone, when none saw it running).
_RECENT_DURATIONS = f"""
SELECT EXTRACT(EPOCH FROM
         COALESCE(o.last_running_at + (o.finished_at - o.last_running_at) / 2, o.finished_at)
         - o.created_at)::float8 AS seconds
FROM veo_operations o JOIN veo_submissions s USING (regeneration_id)
WHERE o.backend = $1 AND {_MODEL} = $2 AND o.finished_state = 'succeeded'
  AND o.finished_at > now() - make_interval(days => $3)
ORDER BY o.finished_at DESC LIMIT $4
"""
_SAW_RUNNING = """
UPDATE veo_operations SET last_running_at = now(), status_checks = status_checks + 1
WHERE operation_name = $1 AND finished_at IS NULL
"""
_SAW_FINISHED = """
UPDATE veo_operations
SET finished_at = COALESCE(finished_at, now()),
    finished_state = COALESCE(finished_state, $2),
    status_checks = status_checks + (finished_at IS NULL)::int
WHERE operation_name = $1
RETURNING status_checks
"""


@dataclass(frozen=True)
class OperationTiming:
    elapsed: float  # seconds since the submission was recorded
    schedule: PollSchedule | None  # None: too little history for this model


class GenerationTimes:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._cache: dict[tuple[str, str, float], tuple[float, PollSchedule | None]] = {}
        self._locks: dict[tuple[str, str, float], asyncio.Lock] = {}

    async def timing(self, operation_name: str, fallback: float) -> OperationTiming | None:
        """Elapsed time and the model's schedule, its check times for this poll interval
        (`fallback`) already planned; None if unknown or unreadable."""
        try:
            row = await self.pool.fetchrow(_SUBMITTED, operation_name)
            if row is None:
                return None
            schedule = await self._schedule(row["backend"], row["model"], fallback)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("adaptive polling off for %s: %s", operation_name, exc)
            return None
        return OperationTiming(elapsed=row["elapsed"], schedule=schedule)

    async def saw_running(self, operation_name: str) -> None:
        try:
            await self.pool.execute(_SAW_RUNNING, operation_name)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("could not record a running check of %s: %s", operation_name, exc)

    async def saw_finished(self, operation_name: str, state: str) -> int | None:
        """Record the first check that saw the job done; the checks made, if known."""
        try:
            return await self.pool.fetchval(_SAW_FINISHED, operation_name, state)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("could not record the finish of %s: %s", operation_name, exc)
            return None

    async def _schedule(self, backend: str, model: str, fallback: float) -> PollSchedule | None:
        """Re-read and re-planned at most every CACHE_SECONDS per model and poll interval,
        by one coroutine (the others wait for it); planning runs off the event loop."""
        key = (backend, model, fallback)
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._cache.get(key)
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                return cached[1]
            rows = await self.pool.fetch(_RECENT_DURATIONS, backend, model, MAX_AGE_DAYS, RECENT)
            schedule = learned_schedule(r["seconds"] for r in rows)
            if schedule is not None:
                await asyncio.to_thread(schedule.plan, fallback)  # cached by the schedule
            self._cache[key] = (time.monotonic(), schedule)
            return schedule
