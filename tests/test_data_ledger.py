"""SubmissionLedger against a real Postgres: a retried submit finds the first operation."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg

from activities.video.submission_ledger import SubmissionLedger
from workflows.step_models import GenerationRequest, Submission


def generation(regeneration_id: str) -> GenerationRequest:
    return GenerationRequest(
        regeneration_id=regeneration_id, job_id=uuid4(), clip_index=3,
        model="veo-3.1-generate-preview", prompt="a rooftop at night", seed=7, duration_seconds=4,
    )


async def test_unknown_regeneration_has_no_submission(db_pool: asyncpg.Pool) -> None:
    assert await SubmissionLedger(db_pool).get(f"never-{uuid4()}") is None


async def test_recorded_submission_is_found_as_a_resubmission_avoided(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    first = Submission(operation_name="projects/p/operations/op-1", backend="veo")
    assert await ledger.record(request, first) == first
    assert await ledger.get(request.regeneration_id) == Submission(
        operation_name="projects/p/operations/op-1", backend="veo", resubmission_avoided=True
    )
    row = await db_pool.fetchrow(
        "SELECT job_id, clip_index, model FROM veo_submissions WHERE regeneration_id = $1",
        request.regeneration_id,
    )
    assert tuple(row) == (request.job_id, 3, "veo-3.1-generate-preview")


async def test_a_second_record_keeps_the_first_operation(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    await ledger.record(request, Submission(operation_name="op-first", backend="preview"))
    again = await ledger.record(request, Submission(operation_name="op-second", backend="veo"))
    assert again == Submission(operation_name="op-first", backend="preview", resubmission_avoided=True)


async def test_concurrent_records_agree_on_one_operation(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    results = await asyncio.gather(
        *(ledger.record(request, Submission(operation_name=f"op-{i}", backend="veo")) for i in range(8))
    )
    assert len({r.operation_name for r in results}) == 1
    assert sum(not r.resubmission_avoided for r in results) == 1
