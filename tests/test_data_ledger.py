"""SubmissionLedger against a real Postgres: reservations, accepted operations, outcomes."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from uuid import uuid4

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.postgres.faults import CONNECTION_FAULTS
from activities.video.budgets import Budgets
from activities.video.reference_names import reference_name
from activities.video.submission_ledger import Reservation, SubmissionLedger
from tests.support.pool_waits import NotedAcquires, exhausted_pool
from workflows.decisions.veo_models import estimate_cost
from workflows.error_types import BUDGET_EXCEEDED
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
    # unique on a kept database; the first sorts after the second: "first" means recorded first
    first, second = f"op-z-first-{uuid4()}", f"op-a-second-{uuid4()}"
    await record(ledger, request, first, "preview")
    again = await record(ledger, request, second)
    assert again.operation_name == first and again.resubmission_avoided
    ops = await ledger.operations(request.regeneration_id)
    assert sorted(o["operation_name"] for o in ops) == sorted([first, second])  # none dropped


async def test_concurrent_records_agree_on_one_operation_and_drop_none(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    results = await asyncio.gather(*(record(ledger, request, f"op-{i}-{uuid4()}") for i in range(8)))
    assert len({r.operation_name for r in results}) == 1
    assert sum(not r.resubmission_avoided for r in results) == 1
    assert len(await ledger.operations(request.regeneration_id)) == 8


async def test_reservation_is_committed_before_the_post_and_reopened_on_a_clear_refusal(
    db_pool: asyncpg.Pool,
) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    async with ledger.reservation(request) as held:
        new = await held.current()
        assert (new.state, new.submission, new.possible_duplicates) == ("new", None, 0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            new.state = "accepted"  # a snapshot of the row, read-only
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


async def submission_row(pool: asyncpg.Pool, regeneration_id: str) -> asyncpg.Record:
    return await pool.fetchrow(
        "SELECT state, submit_attempts, possible_duplicates, cost_usd, account_id, request,"
        " cost_released FROM veo_submissions WHERE regeneration_id = $1", regeneration_id)


async def test_a_reservation_counts_attempts_duplicates_and_the_cost_then_is_adopted(
    db_pool: asyncpg.Pool,
) -> None:
    ledger = SubmissionLedger(db_pool)
    signed = "https://bucket.example/ref.png?X-Goog-Signature=" + uuid4().hex
    request = generation(f"regen-{uuid4()}").model_copy(
        update={"account_id": "acct-1", "reference_image_urls": [signed]})
    async with ledger.reservation(request) as held:
        await held.mark_submitting("veo", possible_duplicate=False)
        await held.mark_submitting("veo", possible_duplicate=True)
        assert await held.current() == Reservation("submitting", None, 1)
        row = await submission_row(db_pool, request.regeneration_id)
        assert (row["submit_attempts"], row["possible_duplicates"]) == (2, 1)
        assert (row["cost_usd"], row["account_id"]) == (
            estimate_cost(request.model, 4, generate_audio=False), "acct-1")
        assert row["request"]["reference_image_urls"] == [reference_name(signed)] != [signed]
        sent = request.as_submitted([signed])
        operation = f"op-a-{uuid4()}"
        held_submission = await held.record(operation, "veo", sent)
        assert not held_submission.resubmission_avoided
        assert held_submission.request.reference_image_urls == [reference_name(signed)]
        now = await held.current()
    assert now.state == "accepted" and now.possible_duplicates == 1
    assert now.submission.operation_name == operation and now.submission.resubmission_avoided
    assert now.submission.possible_duplicate_charges == 1
    settled = await ledger.settled(request.regeneration_id)
    assert (settled.operation_name, settled.resubmission_avoided) == (operation, True)


async def test_settled_and_get_answer_only_once_accepted(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    assert await ledger.settled(request.regeneration_id) is None
    async with ledger.reservation(request) as held:
        await held.mark_submitting("veo", possible_duplicate=False)
    assert await ledger.settled(request.regeneration_id) is None  # submitting: nothing known
    assert await ledger.get(request.regeneration_id) is None


async def test_a_budget_given_to_the_ledger_is_enforced(db_pool: asyncpg.Pool) -> None:
    ledger = SubmissionLedger(db_pool, Budgets(per_job=Decimal("0.01")))
    request = generation(f"regen-{uuid4()}")
    async with ledger.reservation(request) as held:
        with pytest.raises(ApplicationError) as info:
            await held.mark_submitting("veo", possible_duplicate=False)
    assert info.value.type == BUDGET_EXCEEDED
    assert await submission_row(db_pool, request.regeneration_id) is None


async def test_a_paid_uncollected_operation_of_the_same_generation_is_adopted(
    db_pool: asyncpg.Pool,
) -> None:
    ledger = SubmissionLedger(db_pool)
    first = generation(f"regen-{uuid4()}")
    await record(ledger, first, f"op-{uuid4()}")
    [op] = await ledger.operations(first.regeneration_id)

    async def found(request: GenerationRequest):
        async with ledger.reservation(request) as held:
            return await held.paid_and_uncollected()

    again = first.model_copy(update={"regeneration_id": f"regen-{uuid4()}"})
    adopted = await found(again)
    assert (adopted.operation_name, adopted.backend) == (op["operation_name"], "veo")
    assert adopted.resubmission_avoided and adopted.request.seed == 7
    assert await found(again.model_copy(update={"seed": 8})) is None
    assert await found(again.model_copy(update={"clip_index": 4})) is None
    assert await found(first) is None  # its own regeneration is not an earlier one
    await ledger.set_outcome(op["operation_name"], GenerationState.SUCCEEDED)
    assert await found(again) is None  # delivered: nothing to adopt


@pytest.mark.parametrize(("outcome", "released"), [
    ("filtered", True), ("failed", True), ("succeeded", False), ("collected_late", False),
])
async def test_a_filtered_or_failed_generation_gives_its_money_back(
    db_pool: asyncpg.Pool, outcome: str, released: bool,
) -> None:
    ledger = SubmissionLedger(db_pool)
    request = generation(f"regen-{uuid4()}")
    async with ledger.reservation(request) as held:
        await held.mark_submitting("veo", possible_duplicate=False)
        await held.record("op-" + request.regeneration_id, "veo", request.as_submitted([]))
    await ledger.set_outcome("op-" + request.regeneration_id, outcome)
    row = await submission_row(db_pool, request.regeneration_id)
    assert row["cost_released"] is released


# --- waiting for a connection: at most 30 s, then a connection fault -------------------------


async def test_every_connection_the_ledger_takes_waits_at_most_30_seconds_for_it(
    db_pool: asyncpg.Pool,
) -> None:
    """Reserve (and settled: the same lock), record, set an outcome: each asks the pool
    for a connection, waiting 30 s at the most (docs/operations.md, "Reserve, then submit,
    then record")."""
    noted = NotedAcquires(db_pool)
    ledger = SubmissionLedger(noted)
    request = generation(f"regen-{uuid4()}")
    async with ledger.reservation(request) as held:
        await held.mark_submitting("veo", possible_duplicate=False)
        first = await held.record(f"op-{uuid4()}", "veo", request.as_submitted([]))
    assert (await ledger.settled(request.regeneration_id)).operation_name == first.operation_name
    second = f"op-{uuid4()}"
    await record(ledger, request, second)
    await ledger.set_outcome(second, GenerationState.FAILED)
    assert noted.waits == [30.0, 30.0, 30.0, 30.0]
    outcomes = {o["operation_name"]: o["outcome"] for o in await ledger.operations(
        request.regeneration_id)}
    assert outcomes == {first.operation_name: "pending", second: "failed"}


async def test_a_pool_that_stays_exhausted_is_a_connection_fault_not_a_wait_forever(
    postgres_dsn: str,
) -> None:
    """Every connection in use for the whole wait: asyncpg's TimeoutError, one of the
    CONNECTION_FAULTS the activities turn into a retryable DatabaseUnavailable. The real
    pool is asked to wait 0.1 s for the 30 s the ledger asks (NotedAcquires)."""
    request = generation(f"regen-{uuid4()}")
    async with exhausted_pool(postgres_dsn) as pool:
        noted = NotedAcquires(pool, wait=0.1)
        ledger = SubmissionLedger(noted)
        with pytest.raises(TimeoutError) as reserving:
            async with ledger.reservation(request):
                pytest.fail("reserved without a connection")
        with pytest.raises(TimeoutError) as recording:
            await record(ledger, request, f"op-{uuid4()}")
        with pytest.raises(TimeoutError) as setting:
            await ledger.set_outcome(f"op-{uuid4()}", GenerationState.SUCCEEDED)
    assert noted.waits == [30.0, 30.0, 30.0]
    for fault in (reserving, recording, setting):
        assert isinstance(fault.value, CONNECTION_FAULTS)
