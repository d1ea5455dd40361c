"""Shared pieces of the reliability scenarios: requests, waits, holds, counts, snapshots.

Holds keep a regeneration inside one stage long enough to kill the worker there:
a Postgres lock for the DB steps, a delayed reply for the LLM, and `GatedVeo`, a
Vertex Veo emulator whose store fetch (the first status request after the one that
said "done") waits at the wire until the test opens the gate.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import asyncpg
from aiohttp import web
from temporalio.api.enums.v1 import EventType, PendingActivityState, TimeoutType
from temporalio.client import WorkflowHandle

from tests.emulators.threaded_app import ThreadedApp
from tests.emulators.veo_emulator import VeoEmulator, build_app
from tests.test_workflow_e2e import request as e2e_request
from workflows.models import RegenerateClipInput
from workflows.regenerate_clip import RegenerateClipWorkflow

TEMPLATE_INSTRUCTION = "make it nighttime"  # a template: no LLM call
LLM_INSTRUCTION = "give her a green umbrella and make the sign blue"  # needs the planner
RECOVERY_TIMEOUT = 120.0  # generous: recovery takes seconds (workflow task timeout is 10 s)


def request(job_id: UUID, clip: int, instruction: str = TEMPLATE_INSTRUCTION, **options) -> RegenerateClipInput:
    """The end-to-end tests' request, with room for the deadline to include recoveries."""
    return e2e_request(job_id, clip, instruction, **{"deadline_seconds": 600, **options})


async def wait_until(check: Callable[[], Awaitable[Any]], timeout: float = 60.0, every: float = 0.1) -> Any:
    """Poll `check` until it returns something truthy; a timeout fails the test."""
    async with asyncio.timeout(timeout):
        while True:
            value = await check()
            if value:
                return value
            await asyncio.sleep(every)


async def stage_of(handle: WorkflowHandle) -> str | None:
    """The workflow's `progress` stage (needs a live worker to answer)."""
    try:
        progress = await asyncio.wait_for(handle.query(RegenerateClipWorkflow.progress), 5)
        return progress.stage
    except Exception:  # no worker yet, or the query timed out
        return None


async def wait_for_stage(handle: WorkflowHandle, stage: str, timeout: float = 60.0) -> None:
    async def reached() -> bool:
        return await stage_of(handle) == stage

    await wait_until(reached, timeout)


async def pending_activity(handle: WorkflowHandle, name: str):
    """The pending (regular) activity of that type, if any."""
    description = await handle.describe()
    for pending in description.raw_description.pending_activities:
        if pending.activity_type.name == name:
            return pending
    return None


async def between_attempts(handle: WorkflowHandle, name: str, min_attempt: int = 1) -> bool:
    """True when the activity has failed `min_attempt`+ times and waits for its next try."""
    pending = await pending_activity(handle, name)
    return (
        pending is not None
        and pending.attempt > min_attempt
        and pending.state == PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
    )


async def activity_completed(handle: WorkflowHandle, name: str) -> bool:
    """True once the history holds a completed activity of that type."""
    history = await handle.fetch_history()
    scheduled: dict[int, str] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            if scheduled.get(event.activity_task_completed_event_attributes.scheduled_event_id) == name:
                return True
    return False


async def _started(handle: WorkflowHandle, name: str):
    """ActivityTaskStarted attributes of every attempt of that activity type (completed
    attempts only: a started event is written when its attempt ends)."""
    history = await handle.fetch_history()
    scheduled: set[int] = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if event.activity_task_scheduled_event_attributes.activity_type.name == name:
                scheduled.add(event.event_id)
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attrs = event.activity_task_started_event_attributes
            if attrs.scheduled_event_id in scheduled:
                yield attrs


async def activity_attempts(handle: WorkflowHandle, name: str) -> int:
    """How many attempts the (completed) activity of that type took, from its history."""
    return max([attrs.attempt async for attrs in _started(handle, name)], default=0)


async def retry_causes(handle: WorkflowHandle, name: str) -> list[str]:
    """Why each retried attempt of that activity was retried, from its history.

    A completed activity's ActivityTaskStarted event carries `last_failure`, the failure
    of the attempt before it: for a worker killed mid-attempt, a timeout whose type
    (HEARTBEAT or START_TO_CLOSE) says which timeout noticed the dead worker.
    """
    causes = []
    async for attrs in _started(handle, name):
        if attrs.attempt > 1:
            failure = attrs.last_failure
            if failure.HasField("timeout_failure_info"):
                causes.append(TimeoutType.Name(failure.timeout_failure_info.timeout_type))
            else:
                causes.append(failure.message)
    return causes


# --- Postgres --------------------------------------------------------------------


async def versions(pool: asyncpg.Pool, job_id: UUID, clip: int) -> list[int]:
    rows = await pool.fetch(
        "SELECT version_number FROM clip_versions WHERE job_id = $1 AND clip_index = $2"
        " ORDER BY version_number",
        job_id, clip,
    )
    return [r["version_number"] for r in rows]


class HeldLock:
    """A test transaction holding a lock that blocks the worker's next DB step."""

    def __init__(self, dsn: str, statement: str, *args: Any) -> None:
        self.dsn, self.statement, self.args = dsn, statement, args
        self.conn: asyncpg.Connection | None = None
        self._tx = None

    async def __aenter__(self) -> HeldLock:
        self.conn = await asyncpg.connect(self.dsn)
        self._tx = self.conn.transaction()
        await self._tx.start()
        await self.conn.execute(self.statement, *self.args)
        return self

    async def release(self) -> None:
        """Roll back (a server that went away has released it already)."""
        if self.conn is not None and not self.conn.is_closed():
            try:
                await self._tx.rollback()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                pass
            finally:
                self.conn.terminate()

    async def __aexit__(self, *_: object) -> None:
        await self.release()

    async def blocked_query(self, application_name: str) -> str | None:
        """The SQL a backend of that application (a worker's DSN) is blocked on, if any."""
        return (await self.blocked(application_name) or [None])[0]

    async def blocked(self, application_name: str) -> list[str]:
        """The SQL of every backend of that application blocked on a lock."""
        # Inside a transaction, pg_stat_activity is a snapshot taken at first use: clear it.
        await self.conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = await self.conn.fetch(
            "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND application_name = $1",
            application_name,
        )
        return [r["query"] for r in rows]


# --- a Veo emulator whose store fetch can be held ---------------------------------


class GatedVeo(VeoEmulator):
    """The Veo emulator, plus gates that hold requests at the wire until `open_gate()`.

    - `hold_fetch`: the answer that says "done" (with the video) waits at the wire, so
      the worker can be killed inside the attempt that stores it (since issue 34 the
      final status check stores the video from that answer; there is no second fetch);
    - `hold_checks`: a status check of an operation still running waits, so the worker
      can be killed inside a running wait attempt;
    - `hold_submit_answer`: a submit is accepted (paid) and then its answer waits, so
      the worker can be killed inside a running submit after Veo took the money.

    `done_at` is when each operation was first answered "done" (time.monotonic()).
    """

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.hold_fetch = False
        self.hold_checks = False
        self.hold_submit_answer = False
        self.held = 0  # requests waiting at the gate now
        self.done_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._gate: asyncio.Event | None = None
        app = build_app(self.state)
        app.middlewares.append(self._middleware)
        self._server = ThreadedApp(app, "127.0.0.1", 0)

    async def _hold(self) -> None:
        self.held += 1
        try:
            await self._gate.wait()
        finally:
            self.held -= 1

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        if self._gate is None:
            self._gate = asyncio.Event()
        if request.path.endswith(":predictLongRunning") and self.hold_submit_answer:
            response = await handler(request)  # accepted and counted: paid
            await self._hold()
            return response
        if not request.path.endswith(":fetchPredictOperation"):
            return await handler(request)
        body = await request.json()
        name = body.get("operationName", "")
        with self._lock:
            done = name in self.done_at
        if not done and self.hold_checks:
            await self._hold()
        response = await handler(request)
        if response.status == 200 and b'"done": true' in response.body:
            with self._lock:
                self.done_at.setdefault(name, time.monotonic())
            if self.hold_fetch:
                await self._hold()
        return response

    def open_gate(self) -> None:
        self.hold_fetch = self.hold_checks = self.hold_submit_answer = False
        loop, gate = self._server._loop, self._gate
        if loop and gate:
            loop.call_soon_threadsafe(gate.set)
