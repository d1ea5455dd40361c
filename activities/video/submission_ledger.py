"""The ledger of paid video submissions: reserve, then submit, then record.

One row per regeneration id in `veo_submissions` (the reservation) and one row per
operation Veo accepted in `veo_operations` (with its outcome). The submit activity:

1. takes the regeneration's advisory lock on a connection of its own
   (`reservation`), so overlapping attempts (a retry while a presumed-dead attempt
   still runs) queue here instead of both paying;
2. reads the row: an accepted operation is adopted, never paid again;
3. marks the row 'submitting' (committed) BEFORE the paid POST, so a later attempt
   that finds 'submitting' without an operation knows a POST may have been paid;
4. records the accepted operation (`record`), one transaction; a second operation for
   one regeneration id (an unclear outcome resubmitted) is recorded too, never dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import asyncpg

from activities.postgres.faults import CONNECTION_FAULTS
from activities.video import budgets
from activities.video.budgets import Budgets
from activities.video.reference_names import reference_name
from workflows.decisions.veo_models import estimate_cost
from workflows.models import BackendName
from workflows.step_models import GenerationRequest, GenerationState, Submission, SubmittedRequest

ReservationState = Literal["new", "open", "submitting", "accepted"]
Outcome = Literal["pending", "succeeded", "filtered", "failed", "collected_late"]

_ACQUIRE_TIMEOUT = 30.0  # seconds: a pool that stays exhausted is a DatabaseUnavailable
_LOCK = "SELECT pg_advisory_lock(hashtextextended($1, 13))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtextextended($1, 13))"

_GET = """
SELECT state, operation_name, backend, request, possible_duplicates
FROM veo_submissions WHERE regeneration_id = $1
"""

# Committed before the POST: from here on, a POST for this id may have been paid.
_MARK_SUBMITTING = """
INSERT INTO veo_submissions (regeneration_id, job_id, clip_index, backend, model, state, request,
                             submit_attempts, possible_duplicates, cost_usd, account_id)
VALUES ($1, $2, $3, $4, $5, 'submitting', $6, 1, $7, $8, $9)
ON CONFLICT (regeneration_id) DO UPDATE SET
    state = 'submitting', request = EXCLUDED.request, backend = EXCLUDED.backend,
    cost_usd = EXCLUDED.cost_usd, account_id = EXCLUDED.account_id, cost_released = false,
    submit_attempts = veo_submissions.submit_attempts + 1,
    possible_duplicates = veo_submissions.possible_duplicates + EXCLUDED.possible_duplicates,
    updated_at = now()
WHERE veo_submissions.state <> 'accepted'
"""

# The POST was clearly refused (an HTTP answer, or no connection): nothing in flight.
_REOPEN = """
UPDATE veo_submissions SET state = 'open', updated_at = now()
WHERE regeneration_id = $1 AND state = 'submitting'
"""

_ACCEPT = """
INSERT INTO veo_submissions (regeneration_id, job_id, clip_index, operation_name, backend, model,
                             state, request, submit_attempts)
VALUES ($1, $2, $3, $4, $5, $6, 'accepted', $7, 1)
ON CONFLICT (regeneration_id) DO UPDATE SET
    operation_name = EXCLUDED.operation_name, backend = EXCLUDED.backend,
    request = EXCLUDED.request, state = 'accepted', updated_at = now()
WHERE veo_submissions.state <> 'accepted'
"""

_ADD_OPERATION = """
INSERT INTO veo_operations (operation_name, regeneration_id, job_id, clip_index, backend, request)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (operation_name) DO NOTHING
"""

# Which fields make two submissions the same paid generation. Not enhance_prompt: Veo 3.x
# rewrites prompts whatever is asked, and the request no longer sends it to those models.
_SAME_GENERATION = {"model", "prompt", "negative_prompt", "seed", "duration_seconds",
                    "aspect_ratio"}
_PAID_AND_UNCOLLECTED = """
SELECT operation_name, backend, request, 0 AS possible_duplicates
FROM veo_operations
WHERE job_id = $1 AND clip_index = $2 AND regeneration_id <> $3
  AND outcome IN ('pending', 'collected_late') AND request IS NOT NULL
  AND request @> $4::jsonb
ORDER BY created_at DESC
LIMIT 1
"""

# 'collected_late' is final: a later status check must not turn it back.
_SET_OUTCOME = """
UPDATE veo_operations
SET outcome = $2, video_url = COALESCE($3, video_url),
    version_number = COALESCE($4, version_number), updated_at = now()
WHERE operation_name = $1 AND outcome <> 'collected_late'
"""

# Veo filtered it or failed without a video: the budget gets the reservation back.
_RELEASE_COST = """
UPDATE veo_submissions SET cost_released = true, updated_at = now()
WHERE operation_name = $1 AND NOT cost_released
"""


def named(sent: SubmittedRequest) -> SubmittedRequest:
    """The echo as the ledger keeps it: each reference by name, never a signed URL
    (a request from a run recorded before names were used may still carry one)."""
    names = [reference_name(url) for url in sent.reference_image_urls]
    return sent.model_copy(update={"reference_image_urls": names})


@dataclass(frozen=True)
class Reservation:
    """What the ledger holds for one regeneration id when an attempt takes the lock."""

    state: ReservationState
    submission: Submission | None = None  # set when state == "accepted"
    possible_duplicates: int = 0


def _submission(row: asyncpg.Record, *, avoided: bool) -> Submission:
    request = row["request"]
    return Submission(
        operation_name=row["operation_name"],
        backend=row["backend"],
        resubmission_avoided=avoided,
        request=SubmittedRequest.model_validate(request) if request else None,
        possible_duplicate_charges=row["possible_duplicates"],
    )


async def _record_on(
    conn: asyncpg.Connection, request: GenerationRequest, operation_name: str,
    backend: BackendName, sent: SubmittedRequest,
) -> Submission:
    """Record an accepted operation, in one transaction; returns what the ledger holds.

    The operation always gets its own row. If another operation was recorded for this
    regeneration first, that one stays the regeneration's (resubmission_avoided).
    """
    echo = named(sent).model_dump(mode="json")
    async with conn.transaction():
        await conn.execute(
            _ACCEPT, request.regeneration_id, request.job_id, request.clip_index,
            operation_name, backend, request.model, echo,
        )
        await conn.execute(
            _ADD_OPERATION, operation_name, request.regeneration_id, request.job_id,
            request.clip_index, backend, echo,
        )
        row = await conn.fetchrow(_GET, request.regeneration_id)
    return _submission(row, avoided=row["operation_name"] != operation_name)


class HeldReservation:
    """One regeneration id, locked on a connection of its own until released.

    Everything the submit does under the lock runs on this one connection: asking the
    pool for a second one while holding the first could exhaust it (every submit
    holding one and waiting for another).
    """

    def __init__(self, conn: asyncpg.Connection, request: GenerationRequest,
                 budgets: Budgets | None = None) -> None:
        self._conn = conn
        self._request = request
        self._budgets = budgets or Budgets()

    async def current(self) -> Reservation:
        row = await self._conn.fetchrow(_GET, self._request.regeneration_id)
        if row is None:
            return Reservation("new")
        if row["state"] == "accepted":
            return Reservation("accepted", _submission(row, avoided=True),
                               row["possible_duplicates"])
        return Reservation(row["state"], None, row["possible_duplicates"])

    async def mark_submitting(self, backend: BackendName, *, possible_duplicate: bool) -> None:
        req = self._request
        cost = estimate_cost(req.model, req.duration_seconds, req.generate_audio)  # as sent
        async with self._conn.transaction():  # the budget check and the money it takes
            await budgets.take(self._conn, self._budgets, regeneration_id=req.regeneration_id,
                               job_id=req.job_id, account_id=req.account_id, cost=cost)
            await self._conn.execute(
                _MARK_SUBMITTING, req.regeneration_id, req.job_id, req.clip_index, backend,
                req.model, named(req.as_submitted(req.reference_image_urls)).model_dump(mode="json"),
                int(possible_duplicate), cost, req.account_id,
            )

    async def reopen(self) -> None:
        """Best effort: if this write fails, the next attempt counts a possible duplicate."""
        with contextlib.suppress(*CONNECTION_FAULTS):
            await self._conn.execute(_REOPEN, self._request.regeneration_id)

    async def record(self, operation_name: str, backend: BackendName,
                     sent: SubmittedRequest) -> Submission:
        return await _record_on(self._conn, self._request, operation_name, backend, sent)

    async def paid_and_uncollected(self) -> Submission | None:
        """An operation of an earlier regeneration of this clip, paid for the same
        generation (same model, prompt, negative prompt, seed, duration, aspect ratio and
        prompt enhancement) and not delivered as a current version: still running, or
        collected late. Adopting it saves paying for the same video twice."""
        req = self._request
        row = await self._conn.fetchrow(
            _PAID_AND_UNCOLLECTED, req.job_id, req.clip_index, req.regeneration_id,
            req.as_submitted([]).model_dump(mode="json", include=_SAME_GENERATION),
        )
        return None if row is None else _submission(row, avoided=True)


class SubmissionLedger:
    """Reservations, accepted operations and their outcomes; owns the pool it is given."""

    def __init__(self, pool: asyncpg.Pool, budgets: Budgets | None = None) -> None:
        self.pool = pool
        self.budgets = budgets or Budgets()

    @contextlib.asynccontextmanager
    async def reservation(self, request: GenerationRequest) -> AsyncIterator[HeldReservation]:
        """Hold the regeneration id's advisory lock while the body runs."""
        async with self._locked(request.regeneration_id) as conn:
            yield HeldReservation(conn, request, self.budgets)

    @contextlib.asynccontextmanager
    async def _locked(self, regeneration_id: str) -> AsyncIterator[asyncpg.Connection]:
        """The advisory lock lives on its connection: if Postgres goes away the lock goes
        with it, and a failing unlock never hides the body's result."""
        conn = await self.pool.acquire(timeout=_ACQUIRE_TIMEOUT)
        try:
            await conn.execute(_LOCK, regeneration_id)
            try:
                yield conn
            finally:
                with contextlib.suppress(*CONNECTION_FAULTS):
                    await conn.execute(_UNLOCK, regeneration_id)
        finally:
            with contextlib.suppress(*CONNECTION_FAULTS):
                await self.pool.release(conn)

    async def settled(self, regeneration_id: str) -> Submission | None:
        """The accepted operation once no attempt holds the reservation (None: none paid)."""
        async with self._locked(regeneration_id) as conn:
            row = await conn.fetchrow(_GET, regeneration_id)
        if row is None or row["state"] != "accepted":
            return None
        return _submission(row, avoided=True)

    async def get(self, regeneration_id: str) -> Submission | None:
        """The operation accepted for this regeneration, if any (resubmission avoided)."""
        row = await self.pool.fetchrow(_GET, regeneration_id)
        if row is None or row["state"] != "accepted":
            return None
        return _submission(row, avoided=True)

    async def record(
        self, request: GenerationRequest, operation_name: str, backend: BackendName,
        sent: SubmittedRequest,
    ) -> Submission:
        """Record an accepted operation on a connection of the pool (see `_record_on`)."""
        async with self.pool.acquire(timeout=_ACQUIRE_TIMEOUT) as conn:
            return await _record_on(conn, request, operation_name, backend, sent)

    async def set_outcome(
        self, operation_name: str, outcome: Outcome | GenerationState,
        *, video_url: str | None = None, version_number: int | None = None,
    ) -> None:
        value = outcome.value if isinstance(outcome, GenerationState) else outcome
        async with self.pool.acquire(timeout=_ACQUIRE_TIMEOUT) as conn, conn.transaction():
            await conn.execute(_SET_OUTCOME, operation_name, value, video_url, version_number)
            if value in ("filtered", "failed"):
                await conn.execute(_RELEASE_COST, operation_name)

    async def operations(self, regeneration_id: str) -> list[dict]:
        """Every accepted operation of a regeneration, oldest first, with its outcome."""
        rows = await self.pool.fetch(
            "SELECT operation_name, backend, outcome, video_url, version_number FROM veo_operations"
            " WHERE regeneration_id = $1 ORDER BY created_at, operation_name", regeneration_id)
        return [dict(r) for r in rows]
