"""The ledger of paid video submissions, keyed by regeneration id.

A submit activity may be retried after Veo accepted the request but before the
result reached Temporal. Recording each accepted operation here, and checking
here first, means a retry finds the running operation instead of paying twice.
"""

from __future__ import annotations

import asyncpg

from workflows.step_models import GenerationRequest, Submission

_GET = "SELECT operation_name, backend FROM veo_submissions WHERE regeneration_id = $1"

# Insert unless present, and return the stored row either way (inserted = ours).
_RECORD = """
WITH ins AS (
    INSERT INTO veo_submissions (regeneration_id, job_id, clip_index, operation_name, backend, model)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (regeneration_id) DO NOTHING
    RETURNING operation_name, backend
)
SELECT operation_name, backend, true AS inserted FROM ins
UNION ALL
SELECT operation_name, backend, false FROM veo_submissions
WHERE regeneration_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)
"""


class SubmissionLedger:
    """get/record accepted submissions; owns the pool it is given."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, regeneration_id: str) -> Submission | None:
        """The submission already made for this regeneration, marked as a resubmission avoided."""
        row = await self.pool.fetchrow(_GET, regeneration_id)
        if row is None:
            return None
        return Submission(
            operation_name=row["operation_name"], backend=row["backend"], resubmission_avoided=True
        )

    async def record(self, request: GenerationRequest, submission: Submission) -> Submission:
        """Store the submission unless one is stored; returns what the ledger holds.

        When another attempt recorded first, its operation wins (resubmission_avoided=True).
        """
        row = await self.pool.fetchrow(
            _RECORD,
            request.regeneration_id,
            request.job_id,
            request.clip_index,
            submission.operation_name,
            submission.backend,
            request.model,
        )
        if row is None:  # a concurrent insert committed after this statement's snapshot
            stored = await self.get(request.regeneration_id)
            assert stored is not None, "ON CONFLICT implies a committed row"
            return stored
        if row["inserted"]:
            return submission
        return Submission(
            operation_name=row["operation_name"], backend=row["backend"], resubmission_avoided=True
        )
