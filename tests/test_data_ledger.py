"""SubmissionLedger against a real Postgres: reservations, accepted operations, outcomes."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg

from activities.video.submission_ledger import SubmissionLedger
from workflows.step_models import GenerationRequest, GenerationState


def generation(regeneration_id: str) -> GenerationRequest:
    return GenerationRequest(
        regeneration_id=regeneration_id, job_id=uuid4(), clip_index=3,
        model="veo-3.1-generate-preview", prompt="a rooftop at night", seed=7, duration_seconds=4,
        temperature=0.3,
    )


async def record(ledger: SubmissionLedger, request: GenerationRequest, operation: str,
                 backend: str = "veo"):
    return await ledger.record(request, operation, backend, request.as_submitted([]))


async def test_unknown_regeneration_has_no_submission(db_pool: asyncpg.Pool) -> None:
    assert await SubmissionLedger(db_pool).get(f"never-{uuid4()}") is None


async def test_recorded_submission_is_found_with_what_was_sent(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    first = await record(ledger, request, "projects/p/operations/op-1")
    assert first.operation_name == "projects/p/operations/op-1" and not first.resubmission_avoided
    found = await ledger.get(request.regeneration_id)
    assert found.resubmission_avoided and found.operation_name == first.operation_name
    assert found.request.seed == 7 and found.request.temperature == 0.3
    assert found.request.prompt == "a rooftop at night"
    row = await db_pool.fetchrow(
        "SELECT job_id, clip_index, model, state FROM veo_submissions WHERE regeneration_id = $1",
        request.regeneration_id,
    )
    assert tuple(row) == (request.job_id, 3, "veo-3.1-generate-preview", "accepted")


async def test_a_second_operation_is_recorded_but_the_first_stays_the_regenerations(
    db_pool: asyncpg.Pool,
) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    await record(ledger, request, "op-first", "preview")
    again = await record(ledger, request, "op-second")
    assert again.operation_name == "op-first" and again.resubmission_avoided
    ops = await ledger.operations(request.regeneration_id)
    assert sorted(o["operation_name"] for o in ops) == ["op-first", "op-second"]  # none dropped


async def test_concurrent_records_agree_on_one_operation_and_drop_none(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    results = await asyncio.gather(*(record(ledger, request, f"op-{i}") for i in range(8)))
    assert len({r.operation_name for r in results}) == 1
    assert sum(not r.resubmission_avoided for r in results) == 1
    assert len(await ledger.operations(request.regeneration_id)) == 8


async def test_reservation_is_committed_before_the_post_and_reopened_on_a_clear_refusal(
    db_pool: asyncpg.Pool,
) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    async with ledger.reservation(request) as held:
        assert (await held.current()).state == "new"
        await held.mark_submitting("veo", possible_duplicate=False)
        # Visible to everyone at once (committed), before any POST.
        state = await db_pool.fetchval(
            "SELECT state FROM veo_submissions WHERE regeneration_id = $1", request.regeneration_id)
        assert state == "submitting"
        await held.reopen()
        assert (await held.current()).state == "open"


async def test_reservations_of_one_regeneration_serialize(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    order: list[str] = []

    async def attempt(name: str, hold: float) -> None:
        async with ledger.reservation(request):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    first = asyncio.create_task(attempt("a", 0.3))
    await asyncio.sleep(0.1)
    await asyncio.gather(first, attempt("b", 0.0))
    assert order == ["a in", "a out", "b in", "b out"]


async def test_outcomes_are_recorded_and_collected_late_is_final(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    await record(ledger, request, f"op-{uuid4()}")
    [op] = await ledger.operations(request.regeneration_id)
    assert op["outcome"] == "pending"
    await ledger.set_outcome(op["operation_name"], GenerationState.FILTERED)
    assert (await ledger.operations(request.regeneration_id))[0]["outcome"] == "filtered"
    await ledger.set_outcome(op["operation_name"], "collected_late", video_url="file:///v.mp4",
                             version_number=3)
    await ledger.set_outcome(op["operation_name"], GenerationState.SUCCEEDED)
    [after] = await ledger.operations(request.regeneration_id)
    assert (after["outcome"], after["video_url"], after["version_number"]) == (
        "collected_late", "file:///v.mp4", 3)
