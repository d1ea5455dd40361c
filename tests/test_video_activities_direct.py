"""The video activities called directly (issue 35): Veo faked only at the wire (the Vertex
Veo emulator, its counters and faults), the ledger and the generation times on a real
Postgres. Money first: every test that can pay counts the submissions Veo accepted and
reads the ledger's rows; what the heartbeats carry, what a retry adopts, what is stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import re
import threading
import time
from datetime import timedelta
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import asyncpg
import pytest
from temporalio.activity import _Definition
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig

from activities.config import Settings
from activities.postgres.pool import create_pool
from activities.postgres.roles import grant_app_role
from activities.video.poll_schedule import learned_schedule, next_check_in, wait_before_first_check
from activities.video.preview_backend import PreviewVideoBackend
from activities.video.store import LocalVideoStore, video_key
from activities.video.submission_ledger import SubmissionLedger
from activities.video.veo_backend import VertexVeoBackend
from activities.video.video_activities import (
    COMMITTED_CENTS_METRIC,
    POSSIBLE_DUPLICATE_METRIC,
    VideoActivities,
    preview_spool_dir,
    record_waits,
)
from tests.emulators.media import probe, video_mp4
from tests.support.pool_waits import NotedAcquires, exhausted_pool
from tests.test_submit_money import Attempt
from tests.test_veo_activity import MODEL, generation, veo_settings
from workflows.decisions.veo_models import estimate_cost
from workflows.error_types import (
    DATABASE_UNAVAILABLE,
    GENERATION_FAILED,
    GENERATION_PENDING,
    INVALID_INPUT,
    PROVIDER_UNAVAILABLE,
    SUBMISSION_OUTCOME_UNKNOWN,
)
from workflows.models import LateCollectionResult
from workflows.step_models import (
    GenerationState,
    StoreTarget,
    StoreVideoRequest,
    WaitRequest,
)

FAST = "veo-3.1-fast-generate-001"
OPERATIONS_DOC = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


@pytest.fixture
async def veo(fresh_veo_emulator, tmp_path, db_pool):
    activities = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    yield activities
    await activities.aclose()


@pytest.fixture
async def closed_pool(postgres_dsn):
    """A pool that is closed: every acquire fails as a connection fault (InterfaceError)."""
    pool = await create_pool(postgres_dsn, min_size=1, max_size=1)
    await pool.close()
    return pool


def meter() -> tuple[MetricBuffer, object]:
    buffer = MetricBuffer(1000)
    return buffer, Runtime(telemetry=TelemetryConfig(metrics=buffer)).metric_meter


def metric(updates, name: str) -> list[tuple[int, str | None]]:
    """Each update of the counter `name`: its value and its model attribute."""
    return [(u.value, u.attributes.get("model")) for u in updates if u.metric.name == name]


async def reservation(pool, regeneration_id: str):
    return await pool.fetchrow(
        "SELECT state, operation_name, backend, request, possible_duplicates, submit_attempts "
        "FROM veo_submissions WHERE regeneration_id = $1", regeneration_id)


async def operations(pool, regeneration_id: str):
    return await SubmissionLedger(pool).operations(regeneration_id)


def paid(emulator) -> int:
    return emulator.counters()["submissions_accepted"]


def attempt(number: int = 1, details=None, meter_=None, retry: RetryPolicy | None = None) -> Attempt:
    made = Attempt(number, details, meter=meter_)
    made.env.info = dataclasses.replace(made.env.info, retry_policy=retry)
    return made


async def refused_then_closed(video, req) -> ApplicationError:
    """The typed error a first submit attempt ends with; the activities closed after."""
    try:
        with pytest.raises(ApplicationError) as caught:
            await attempt().submit(video, req)
    finally:
        await video.aclose()
    return caught.value


async def wait(video, req: WaitRequest, number: int = 1, retry: RetryPolicy | None = None):
    return await attempt(number, retry=retry).env.run(video.wait_for_generation, req)


# --- submit: pay once, record what was sent ----------------------------------------------


async def test_a_submission_is_paid_once_beaten_into_the_details_and_recorded_as_sent(
    veo, fresh_veo_emulator, db_pool, sample_job_id
):
    buffer, metrics = meter()
    req = generation(sample_job_id, temperature=0.4, reference_image_urls=["gs://refs/a.png"])
    first = attempt(meter_=metrics)
    submission = await first.submit(veo, req)

    [sent] = fresh_veo_emulator.submissions()
    assert paid(fresh_veo_emulator) == 1 and fresh_veo_emulator.counters()["submit_requests"] == 1
    assert submission.operation_name == sent["operation_name"] and submission.backend == "veo"
    assert not submission.resubmission_avoided and submission.possible_duplicate_charges == 0
    # What was sent is what is kept: the echo, the heartbeat and the ledger agree.
    assert submission.request == req.as_submitted(["gs://refs/a.png"])
    assert submission.request.temperature == 0.4 and submission.request.seed == sent["parameters"]["seed"]
    assert first.last_details == [{"operation_name": sent["operation_name"], "backend": "veo",
                                   "request": submission.request.model_dump(mode="json")}]
    row = await reservation(db_pool, req.regeneration_id)
    assert (row["state"], row["operation_name"], row["backend"]) == (
        "accepted", sent["operation_name"], "veo")
    assert row["possible_duplicates"] == 0 and row["submit_attempts"] == 1
    [op] = await operations(db_pool, req.regeneration_id)
    assert (op["operation_name"], op["outcome"]) == (sent["operation_name"], "pending")
    # Money committed at reservation, in cents, by model; no possible duplicate.
    updates = buffer.retrieve_updates()
    cents = int(estimate_cost(MODEL, 8, True) * 100)
    assert metric(updates, COMMITTED_CENTS_METRIC) == [(cents, MODEL)]
    assert metric(updates, POSSIBLE_DUPLICATE_METRIC) == []


async def test_a_retry_adopts_the_recorded_operation_and_pays_nothing(
    veo, fresh_veo_emulator, db_pool, sample_job_id
):
    buffer, metrics = meter()
    req = generation(sample_job_id)
    first = await attempt(1).submit(veo, req)
    again = attempt(2, meter_=metrics)
    adopted = await again.submit(veo, req)
    assert adopted.operation_name == first.operation_name and adopted.resubmission_avoided
    assert adopted.request == first.request
    assert paid(fresh_veo_emulator) == 1 and fresh_veo_emulator.counters()["submit_requests"] == 1
    assert metric(buffer.retrieve_updates(), COMMITTED_CENTS_METRIC) == []  # nothing committed
    assert len(await operations(db_pool, req.regeneration_id)) == 1
    assert (await reservation(db_pool, req.regeneration_id))["submit_attempts"] == 1


async def test_an_operation_accepted_but_never_recorded_is_adopted_from_the_heartbeat(
    veo, fresh_veo_emulator, db_pool, sample_job_id
):
    """The attempt was accepted, beat the operation out, and died before the record: the
    ledger says 'submitting' with no operation; the next attempt adopts the beaten one."""
    req = generation(sample_job_id)
    first = attempt(1)
    accepted = await first.submit(veo, req)
    await db_pool.execute("DELETE FROM veo_operations WHERE regeneration_id = $1",
                          req.regeneration_id)
    await db_pool.execute("UPDATE veo_submissions SET state = 'submitting', operation_name = NULL"
                          " WHERE regeneration_id = $1", req.regeneration_id)

    second = attempt(2, first.last_details)
    adopted = await second.submit(veo, req)
    assert paid(fresh_veo_emulator) == 1  # adopted, not paid again
    assert adopted.operation_name == accepted.operation_name and adopted.request == accepted.request
    assert adopted.possible_duplicate_charges == 0 and not adopted.resubmission_avoided
    assert second.beats[0] == tuple(first.last_details)  # the details carried from the start
    row = await reservation(db_pool, req.regeneration_id)
    assert (row["state"], row["operation_name"]) == ("accepted", accepted.operation_name)
    [op] = await operations(db_pool, req.regeneration_id)
    assert op["operation_name"] == accepted.operation_name


@pytest.mark.parametrize("details", [
    ["not a mapping"],  # TypeError
    [{"operation_name": "projects/x/operations/1"}],  # KeyError
    [{"operation_name": "projects/x/operations/1", "backend": "veo", "request": {"seed": 1}}],
])
async def test_unreadable_heartbeat_details_are_ignored_and_the_submission_paid(
    veo, fresh_veo_emulator, db_pool, sample_job_id, details
):
    req = generation(sample_job_id)
    submission = await attempt(2, details).submit(veo, req)
    [sent] = fresh_veo_emulator.submissions()
    assert submission.operation_name == sent["operation_name"] and paid(fresh_veo_emulator) == 1
    assert (await reservation(db_pool, req.regeneration_id))["operation_name"] == sent["operation_name"]


async def test_an_earlier_regenerations_paid_video_is_reused_and_said_so(
    veo, fresh_veo_emulator, db_pool, sample_job_id
):
    a = generation(sample_job_id)
    first = await attempt().submit(veo, a)
    b = generation(sample_job_id)  # a new regeneration of the clip, the same generation
    beat = attempt()
    reused = await beat.submit(veo, b)
    assert reused.operation_name == first.operation_name and reused.resubmission_avoided
    assert paid(fresh_veo_emulator) == 1
    assert beat.last_details[0]["operation_name"] == first.operation_name
    row = await reservation(db_pool, b.regeneration_id)
    assert (row["state"], row["operation_name"]) == ("accepted", first.operation_name)


# --- unclear outcomes: a POST that may have been paid ------------------------------------


async def test_a_submission_left_submitting_is_paid_again_and_counted_a_possible_duplicate(
    veo, fresh_veo_emulator, db_pool, sample_job_id
):
    req = generation(sample_job_id)
    async with SubmissionLedger(db_pool).reservation(req) as held:
        await held.mark_submitting("veo", possible_duplicate=False)  # then the worker died
    buffer, metrics = meter()
    submission = await attempt(2, meter_=metrics).submit(veo, req)
    assert paid(fresh_veo_emulator) == 1 and submission.possible_duplicate_charges == 1
    updates = buffer.retrieve_updates()
    assert metric(updates, POSSIBLE_DUPLICATE_METRIC) == [(1, None)]
    assert metric(updates, COMMITTED_CENTS_METRIC) == [
        (int(estimate_cost(MODEL, 8, True) * 100), MODEL)]
    row = await reservation(db_pool, req.regeneration_id)
    assert (row["state"], row["possible_duplicates"], row["submit_attempts"]) == ("accepted", 1, 2)


async def test_with_unclear_submit_fail_a_submission_left_submitting_is_not_paid_again(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id
):
    video = VideoActivities.from_settings(
        veo_settings(fresh_veo_emulator, tmp_path, RETAKE_UNCLEAR_SUBMIT="fail"), db_pool)
    req = generation(sample_job_id)
    async with SubmissionLedger(db_pool).reservation(req) as held:
        await held.mark_submitting("veo", possible_duplicate=False)
    try:
        with pytest.raises(ApplicationError) as info:
            await attempt(2).submit(video, req)
    finally:
        await video.aclose()
    assert info.value.type == SUBMISSION_OUTCOME_UNKNOWN and info.value.non_retryable
    assert "an earlier attempt sent it" in info.value.message
    assert req.regeneration_id in info.value.message
    assert fresh_veo_emulator.counters()["submit_requests"] == 0
    assert (await reservation(db_pool, req.regeneration_id))["state"] == "submitting"


@pytest.mark.parametrize("unclear", ["resubmit", "fail"])
async def test_a_lost_answer_leaves_the_reservation_submitting(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id, unclear
):
    """The POST was sent and its answer never came: Veo may have charged it."""
    video = VideoActivities.from_settings(veo_settings(
        fresh_veo_emulator, tmp_path, veo_timeout_seconds=0.3, RETAKE_UNCLEAR_SUBMIT=unclear),
        db_pool)
    fresh_veo_emulator.push_fault(status=200, delay=1.0, target="submit")
    req = generation(sample_job_id)
    error = await refused_then_closed(video, req)
    assert error.type == SUBMISSION_OUTCOME_UNKNOWN
    assert error.non_retryable == (unclear == "fail")
    if unclear == "fail":
        assert "this attempt sent it" in error.message
    assert (await reservation(db_pool, req.regeneration_id))["state"] == "submitting"
    assert await operations(db_pool, req.regeneration_id) == []


async def test_a_clear_refusal_reopens_the_reservation(
    veo, fresh_veo_emulator, db_pool, sample_job_id
):
    fresh_veo_emulator.push_fault(status=503, target="submit")
    req = generation(sample_job_id)
    with pytest.raises(ApplicationError) as info:
        await attempt().submit(veo, req)
    assert info.value.type == PROVIDER_UNAVAILABLE and not info.value.non_retryable
    row = await reservation(db_pool, req.regeneration_id)
    assert (row["state"], row["operation_name"]) == ("open", None)
    retried = await attempt(2).submit(veo, req)
    assert retried.possible_duplicate_charges == 0 and paid(fresh_veo_emulator) == 1


async def test_an_unreachable_ledger_is_database_unavailable_before_anything_is_paid(
    fresh_veo_emulator, tmp_path, closed_pool, sample_job_id
):
    video = VideoActivities.from_settings(
        veo_settings(fresh_veo_emulator, tmp_path, RETAKE_LEDGER_RETRY_SECONDS=0.5), closed_pool)
    try:
        with pytest.raises(ApplicationError) as info:
            await attempt().submit(video, generation(sample_job_id))
    finally:
        await video.aclose()
    assert info.value.type == DATABASE_UNAVAILABLE and not info.value.non_retryable
    assert "reserving the Veo submission" in info.value.message
    assert fresh_veo_emulator.counters()["requests"] == 0


async def test_a_ledger_pool_with_no_free_connection_is_database_unavailable_before_paying(
    fresh_veo_emulator, tmp_path, postgres_dsn, sample_job_id
):
    """Every connection of the worker's pool in use for the 30 s the ledger waits for one
    (shortened to 0.1 s: NotedAcquires): retryable, typed, and nothing sent to Veo."""
    async with exhausted_pool(postgres_dsn) as pool:
        noted = NotedAcquires(pool, wait=0.1)
        video = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), noted)
        error = await refused_then_closed(video, generation(sample_job_id))
    assert error.type == DATABASE_UNAVAILABLE and not error.non_retryable
    assert error.message.startswith("Postgres did not answer in time (every pooled connection "
                                    "stayed busy, or the server was slow) while reserving the "
                                    "Veo submission (TimeoutError)")
    assert noted.waits == [30.0] and fresh_veo_emulator.counters()["requests"] == 0


# --- find a submission, record a late collection -----------------------------------------


async def test_find_submission_answers_the_accepted_operation_or_none(
    veo, db_pool, sample_job_id, closed_pool, fresh_veo_emulator, tmp_path
):
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    beats = attempt()
    found = await beats.env.run(veo.find_submission, req.regeneration_id)
    assert found.operation_name == submission.operation_name and found.resubmission_avoided
    assert found.request == submission.request
    assert await attempt().env.run(veo.find_submission, f"never-{uuid4()}") is None

    down = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), closed_pool)
    try:
        with pytest.raises(ApplicationError) as info:
            await attempt().env.run(down.find_submission, req.regeneration_id)
    finally:
        await down.aclose()
    assert info.value.type == DATABASE_UNAVAILABLE and not info.value.non_retryable
    assert "reading the submission ledger" in info.value.message


async def test_a_late_collection_is_recorded_on_the_operation(
    veo, db_pool, sample_job_id, closed_pool, fresh_veo_emulator, tmp_path
):
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    collected = LateCollectionResult(job_id=sample_job_id, clip_index=3, outcome="collected_late",
                                     operation_name=submission.operation_name,
                                     video_url="file:///videos/late.mp4", version=4)
    assert await attempt().env.run(veo.record_late_collection, collected) is None
    [op] = await operations(db_pool, req.regeneration_id)
    assert (op["outcome"], op["video_url"], op["version_number"]) == (
        "collected_late", "file:///videos/late.mp4", 4)

    down = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), closed_pool)
    try:
        with pytest.raises(ApplicationError) as info:
            await attempt().env.run(down.record_late_collection, collected)
    finally:
        await down.aclose()
    assert info.value.type == DATABASE_UNAVAILABLE and not info.value.non_retryable
    assert "recording a late collection" in info.value.message


# --- wait: one check per attempt ----------------------------------------------------------


async def checks_seen(pool, operation_name: str):
    return await pool.fetchrow(
        "SELECT status_checks, last_running_at IS NOT NULL AS saw_running, finished_state,"
        " outcome FROM veo_operations WHERE operation_name = $1", operation_name)


async def test_a_running_generation_is_a_benign_pending_and_its_finish_is_recorded(
    veo, fresh_veo_emulator, db_pool, sample_job_id, caplog
):
    caplog.set_level(logging.INFO)
    fresh_veo_emulator.configure(job_seconds=3600)
    submission = await attempt().submit(veo, generation(sample_job_id))
    name = submission.operation_name
    req = WaitRequest(operation_name=name, backend="veo")
    with pytest.raises(ApplicationError) as info:
        await wait(veo, req, 3)
    pending = info.value
    assert pending.type == GENERATION_PENDING and not pending.non_retryable
    assert pending.category == ApplicationErrorCategory.BENIGN  # expected: not logged as failed
    assert pending.next_retry_delay is None  # no history: the retry policy's interval
    assert f"Generation {name} is still running (attempt 3)" in pending.message
    seen = await checks_seen(db_pool, name)
    assert seen["status_checks"] == 1 and seen["saw_running"] and seen["finished_state"] is None

    fresh_veo_emulator.finish_jobs()
    status = await wait(veo, req, 4)
    assert status.state == GenerationState.SUCCEEDED and status.stored is None
    assert status.polls == 2  # the checks the ledger counted: one running, one done
    assert f"operation={name} state=succeeded checks=2" in caplog.text
    assert fresh_veo_emulator.counters()["polls_per_operation"][name] == 2
    seen = await checks_seen(db_pool, name)
    assert (seen["status_checks"], seen["finished_state"], seen["outcome"]) == (2, "succeeded",
                                                                                "succeeded")


@pytest.mark.parametrize("outcome", ["failed", "filtered"])
async def test_a_failed_or_filtered_generation_is_returned_and_its_cost_released(
    veo, fresh_veo_emulator, db_pool, sample_job_id, outcome
):
    fresh_veo_emulator.configure(**{f"{'fail' if outcome == 'failed' else 'filter'}_next": 1})
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    status = await wait(veo, WaitRequest(operation_name=submission.operation_name, backend="veo"))
    assert status.state.value == outcome and status.polls == 1
    seen = await checks_seen(db_pool, submission.operation_name)
    assert (seen["outcome"], seen["finished_state"]) == (outcome, outcome)
    released = await db_pool.fetchval(
        "SELECT cost_released FROM veo_submissions WHERE regeneration_id = $1", req.regeneration_id)
    assert released is True


async def test_the_checks_are_the_attempt_number_when_the_ledger_does_not_know_them(
    veo, fresh_veo_emulator, db_pool, sample_job_id, caplog
):
    caplog.set_level(logging.INFO)
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    await db_pool.execute("DELETE FROM veo_operations WHERE regeneration_id = $1",
                          req.regeneration_id)
    status = await wait(veo, WaitRequest(operation_name=submission.operation_name, backend="veo"), 5)
    assert status.state == GenerationState.SUCCEEDED and status.polls == 5
    assert "state=succeeded checks=5" in caplog.text


@pytest.fixture
async def fast_model_history(db_pool):
    """The 50 most recent successes of the fast model on Veo: 30 to 34 s each (finished
    in the future, so no other test's finish is more recent); removed afterwards."""
    tag = f"direct-history-{uuid4().hex[:8]}"
    durations = [30 + 4 * i / 49 for i in range(50)]
    rows = [(f"{tag}/{i}", uuid4(), d) for i, d in enumerate(durations)]
    await db_pool.executemany(
        "INSERT INTO veo_submissions (regeneration_id, job_id, clip_index, operation_name,"
        " backend, model) VALUES ($1, $2, 0, $1, 'veo', $3)", [(r[0], r[1], FAST) for r in rows])
    await db_pool.executemany(
        "INSERT INTO veo_operations (operation_name, regeneration_id, job_id, clip_index,"
        " backend, outcome, created_at, finished_at, finished_state) VALUES ($1, $1, $2, 0,"
        " 'veo', 'succeeded', now() + interval '1 hour' - make_interval(secs => $3),"
        " now() + interval '1 hour', 'succeeded')", rows)
    yield learned_schedule(durations)
    await db_pool.execute("DELETE FROM veo_operations WHERE regeneration_id LIKE $1", f"{tag}/%")
    await db_pool.execute("DELETE FROM veo_submissions WHERE regeneration_id LIKE $1", f"{tag}/%")


@pytest.mark.parametrize("interval", [6.0, None])  # None: no retry policy, 15 s
async def test_with_history_the_wait_checks_when_the_model_usually_finishes(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id, fast_model_history, interval
):
    schedule, fallback = fast_model_history, interval or 15.0
    retry = RetryPolicy(initial_interval=timedelta(seconds=interval)) if interval else None
    fresh_veo_emulator.configure(job_seconds=3600)
    settings = veo_settings(fresh_veo_emulator, tmp_path, RETAKE_ADAPTIVE_POLLING=True)
    if interval:
        video = VideoActivities.from_settings(settings, db_pool)
    else:  # built by hand: polling adapts by default, on the ledger's own generation times
        preview = PreviewVideoBackend(preview_spool_dir(settings))
        video = VideoActivities(
            VertexVeoBackend.from_settings(settings), LocalVideoStore(settings.videos_dir),
            SubmissionLedger(db_pool), preview=preview,
            ledger_retry_seconds=settings.ledger_retry_seconds)
    try:
        submission = await attempt().submit(video, generation(sample_job_id, model=FAST,
                                                                duration_seconds=4))
        name = submission.operation_name
        req = WaitRequest(operation_name=name, backend="veo")
        with pytest.raises(ApplicationError) as early:  # a finish this soon is unlikely
            await wait(video, req, 1, retry)
        assert fresh_veo_emulator.counters()["polls"] == 0  # Veo was asked nothing
        expected = wait_before_first_check(schedule, 0.0, fallback)
        assert early.value.type == GENERATION_PENDING
        assert early.value.category == ApplicationErrorCategory.BENIGN
        assert abs(early.value.next_retry_delay.total_seconds() - expected) < 0.3
        assert "not checked yet" in early.value.message and "first check in" in early.value.message

        # Checked once due, still running: the next check is the planned one, and past
        # the plan (slower than every recent job) a third of the poll interval.
        for attempt_number, elapsed in ((2, 33), (3, 60)):
            await db_pool.execute("UPDATE veo_operations SET created_at = now() - make_interval("
                                  "secs => $2) WHERE operation_name = $1", name, float(elapsed))
            with pytest.raises(ApplicationError) as running:
                await wait(video, req, attempt_number, retry)
            assert fresh_veo_emulator.counters()["polls"] == attempt_number - 1
            expected = next_check_in(schedule, elapsed, fallback)
            assert abs(running.value.next_retry_delay.total_seconds() - expected) < 0.3
            assert f"still running (attempt {attempt_number})" in running.value.message
    finally:
        await video.aclose()


# --- store: in the check that finds it done, or in its own step --------------------------


def store_in_check(name: str, req, delivered: float | None = None) -> WaitRequest:
    return WaitRequest(operation_name=name, backend="veo", store=StoreTarget(
        job_id=req.job_id, clip_index=req.clip_index, regeneration_id=req.regeneration_id,
        delivered_seconds=delivered))


async def test_the_check_that_finds_it_done_stores_the_cut_video_once(
    veo, fresh_veo_emulator, db_pool, sample_job_id, tmp_path
):
    fresh_veo_emulator.configure(job_seconds=3600)
    req = generation(sample_job_id, reference_image_urls=["gs://refs/a.png"])  # 8 s generated
    submission = await attempt().submit(veo, req)
    name = submission.operation_name
    wait_req = store_in_check(name, req, delivered=5.5)
    path = tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)
    with pytest.raises(ApplicationError) as running:
        await wait(veo, wait_req, 1)
    assert running.value.type == GENERATION_PENDING and not path.exists()

    fresh_veo_emulator.finish_jobs()
    status = await wait(veo, wait_req, 2)
    assert status.state == GenerationState.SUCCEEDED and status.video_gcs_uri is None
    assert status.polls == 2
    stored = status.stored
    data = path.read_bytes()
    assert stored.url == path.resolve().as_uri() and stored.backend == "veo"
    assert stored.trimmed_to_seconds == 5.5 and stored.sha256 == hashlib.sha256(data).hexdigest()
    assert abs(probe(data)["duration"] - 5.5) <= 1 / 8
    assert (await checks_seen(db_pool, name))["outcome"] == "succeeded"

    again = await wait(veo, wait_req, 3)  # the worker died after the store: Veo asked nothing
    assert again.stored == stored and again.state == GenerationState.SUCCEEDED
    assert again.polls == 2
    assert fresh_veo_emulator.counters()["polls_per_operation"][name] == 2
    assert paid(fresh_veo_emulator) == 1


async def test_a_failed_check_with_a_store_target_stores_nothing(
    veo, fresh_veo_emulator, sample_job_id, tmp_path
):
    fresh_veo_emulator.configure(fail_next=1)
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    status = await wait(veo, store_in_check(submission.operation_name, req, delivered=4.0))
    assert status.state == GenerationState.FAILED and status.stored is None
    assert not (tmp_path / "videos").exists()


async def test_a_video_veo_wrote_to_cloud_storage_is_recorded_as_is_and_never_cut(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id, caplog
):
    settings = veo_settings(fresh_veo_emulator, tmp_path, veo_output_gcs_uri="gs://retake-out/v")
    video = VideoActivities.from_settings(settings, db_pool)
    caplog.set_level(logging.WARNING)
    try:
        req = generation(sample_job_id)
        submission = await attempt().submit(video, req)
        name = submission.operation_name
        # In the check: the URI is the stored video (a length asked anyway is not claimed).
        status = await wait(video, store_in_check(name, req, delivered=5.0))
        uri = status.video_gcs_uri
        assert uri.startswith("gs://retake-out/v/") and status.state == GenerationState.SUCCEEDED
        assert status.stored.url == uri and status.stored.backend == "veo"
        assert status.stored.trimmed_to_seconds is None
        # In its own step, without the URI: the finished operation names it.
        store = StoreVideoRequest(operation_name=name, backend="veo", job_id=sample_job_id,
                                  clip_index=3, regeneration_id=req.regeneration_id,
                                  delivered_seconds=5.0)
        fetched = await attempt().env.run(video.store_generated_video, store)
        assert (fetched.url, fetched.backend, fetched.trimmed_to_seconds) == (uri, "veo", None)
        # With the URI: recorded uncut, and said so.
        given = await attempt().env.run(video.store_generated_video,
                                        store.model_copy(update={"video_gcs_uri": uri}))
        assert (given.url, given.trimmed_to_seconds) == (uri, None)
        assert "recorded uncut" in caplog.text and "5" in caplog.text
        uncut = [r for r in caplog.records if "recorded uncut" in r.getMessage()]
        assert len(uncut) == 1
        await attempt().env.run(video.store_generated_video,
                                store.model_copy(update={"video_gcs_uri": uri,
                                                         "delivered_seconds": None}))
        assert len([r for r in caplog.records if "recorded uncut" in r.getMessage()]) == 1
    finally:
        await video.aclose()
    assert not (tmp_path / "videos").exists()  # nothing copied locally


async def test_a_video_ffmpeg_cannot_cut_is_a_non_retryable_generation_failure(
    veo, fresh_veo_emulator, sample_job_id, tmp_path
):
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    store = StoreVideoRequest(operation_name=submission.operation_name, backend="veo",
                              job_id=sample_job_id, clip_index=3,
                              regeneration_id=req.regeneration_id, delivered_seconds=-1.0)
    with pytest.raises(ApplicationError) as info:
        await attempt().env.run(veo.store_generated_video, store)
    assert info.value.type == GENERATION_FAILED and info.value.non_retryable
    assert "could not be cut to the clip's length" in info.value.message
    assert info.value.__cause__ is None
    assert not (tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)).exists()


async def test_a_whole_video_is_stored_as_veo_sent_it_and_found_again(
    veo, fresh_veo_emulator, sample_job_id, tmp_path
):
    req = generation(sample_job_id)
    submission = await attempt().submit(veo, req)
    store = StoreVideoRequest(operation_name=submission.operation_name, backend="veo",
                              job_id=sample_job_id, clip_index=3, regeneration_id=req.regeneration_id)
    beats = attempt()
    stored = await beats.env.run(veo.store_generated_video, store)
    generated = video_mp4(8, "16:9", True)
    path = tmp_path / "videos" / video_key(sample_job_id, 3, req.regeneration_id)
    assert path.read_bytes() == generated and stored.size_bytes == len(generated)
    assert stored.trimmed_to_seconds is None and stored.backend == "veo"
    assert beats.beats  # it heartbeats while it downloads
    polls = fresh_veo_emulator.counters()["polls"]
    cut = await attempt(2).env.run(veo.store_generated_video,
                                   store.model_copy(update={"delivered_seconds": 6.0}))
    # A retry finds the stored file (the key is the regeneration's): Veo is asked nothing.
    assert cut.url == stored.url and cut.sha256 == stored.sha256 and cut.trimmed_to_seconds == 6.0
    assert fresh_veo_emulator.counters()["polls"] == polls


# --- which backend ------------------------------------------------------------------------


async def test_a_veo_worker_still_checks_and_stores_preview_operations(
    fresh_veo_emulator, tmp_path, db_pool, sample_job_id
):
    preview_settings = Settings(RETAKE_VIDEO_BACKEND="preview", RETAKE_DATA_DIR=tmp_path,
                                RETAKE_VIDEO_PUBLIC_BASE_URL=None, RETAKE_ADAPTIVE_POLLING=False)
    preview = VideoActivities.from_settings(preview_settings, db_pool)
    veo = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), db_pool)
    try:
        assert await attempt().env.run(preview.configured_backend) == "preview"
        assert await attempt().env.run(veo.configured_backend) == "veo"
        assert (preview.backend_name, veo.backend_name) == ("preview", "veo")
        req = generation(sample_job_id, seed=11)
        submission = await attempt().submit(preview, req)
        assert submission.backend == "preview"
        assert preview_spool_dir(preview_settings) == tmp_path / "preview-operations"
        assert list((tmp_path / "preview-operations").glob("*.json"))
        status = await wait(veo, WaitRequest(operation_name=submission.operation_name,
                                             backend="preview"))
        assert status.state == GenerationState.SUCCEEDED
        stored = await attempt().env.run(veo.store_generated_video, StoreVideoRequest(
            operation_name=submission.operation_name, backend="preview", job_id=sample_job_id,
            clip_index=3, regeneration_id=req.regeneration_id))
        assert stored.backend == "preview" and stored.url.startswith("file://")
        with pytest.raises(ApplicationError) as info:  # a Veo operation on a preview worker
            await wait(preview, WaitRequest(operation_name=submission.operation_name,
                                            backend="veo"))
        assert info.value.type == INVALID_INPUT and info.value.non_retryable
    finally:
        await preview.aclose()
        await veo.aclose()
    assert fresh_veo_emulator.counters()["requests"] == 0  # Veo was never asked


# --- the ledger away after Veo accepted ---------------------------------------------------


class LedgerLogin:
    """A login of the test's own with the application's rights; `lock_out` ends its
    connections and refuses new ones (Postgres' 'too many connections for role')."""

    def __init__(self, dsn: str) -> None:
        self.dsn, self.role = dsn, f"retake_direct_{uuid4().hex[:10]}"

    def url(self) -> str:
        parts = urlsplit(self.dsn)
        return urlunsplit(parts._replace(netloc=f"{self.role}@{parts.netloc.rpartition('@')[2]}"))

    async def admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    async def lock_out(self) -> None:
        await self.admin(f'ALTER ROLE "{self.role}" CONNECTION LIMIT 0',
                         f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         f" WHERE usename = '{self.role}'")

    async def let_in(self) -> None:
        await self.admin(f'ALTER ROLE "{self.role}" CONNECTION LIMIT -1')


def test_the_record_waits_double_from_a_fifth_of_a_second_up_to_five_seconds() -> None:
    """The waits between tries of a ledger write while Postgres is away. The cap is only
    reached 6.2 s into an outage, longer than the outage tests last."""
    assert list(islice(record_waits(), 9)) == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0, 5.0]


def test_the_operations_guide_states_the_record_waits_the_code_has() -> None:
    text = " ".join(OPERATIONS_DOC.read_text().split())
    said = re.search(r"with waits of ((?:[\d.]+, )*[\d.]+) and ([\d.]+) s between tries,"
                     r" then ([\d.]+) s each", text)
    assert said, "docs/operations.md no longer states the record's waits"
    stated = [float(w) for w in said[1].split(", ")] + [float(said[2]), float(said[3])]
    code = list(islice(record_waits(), len(stated) + 3))
    assert stated == code[:len(stated)]
    assert code[len(stated):] == [stated[-1]] * 3  # "then ... each": the last wait, the cap


@pytest.fixture
async def ledger_login(postgres_dsn):
    login = LedgerLogin(postgres_dsn)
    conn = await asyncpg.connect(postgres_dsn)
    try:
        await conn.execute(f'CREATE ROLE "{login.role}" LOGIN')
        await grant_app_role(conn, login.role)
    finally:
        await conn.close()
    pool = await create_pool(login.url(), migrate=False, min_size=1, max_size=2)
    yield login, pool
    await pool.close()
    await login.admin(f'DROP OWNED BY "{login.role}"', f'DROP ROLE "{login.role}"')


async def test_the_ledger_away_after_veo_accepted_is_ridden_out_or_left_in_the_heartbeat(
    hooked_veo, tmp_path, ledger_login, sample_job_id
):
    """Veo accepts while the ledger's login is locked out. Back within the record budget:
    recorded in the same attempt. Away past it (3.5 s: tries after waits of 0.2, 0.4, 0.8
    and 1.6 s, at 3.0 s the next 3.2 s wait would pass it, so it gives up then):
    DatabaseUnavailable, retryable, and the next attempt adopts the operation from the
    heartbeat details instead of paying again. The budget is 3.5 s and not 2 s, where a
    record that gave up once its wait passes one second (`monotonic() * delay`, the
    clock's large value) would give up at the same 1.4 s."""
    login, pool = ledger_login

    timers: list[threading.Timer] = []

    def locked_out(back_after: float):
        def hook() -> None:  # in the emulator's thread, while Veo accepts
            asyncio.run(login.lock_out())
            time.sleep(0.3)  # the client sees its connection gone before Veo answers
            timers.append(threading.Timer(back_after, lambda: asyncio.run(login.let_in())))
            timers[-1].start()
        return hook

    video = VideoActivities.from_settings(
        veo_settings(hooked_veo, tmp_path, RETAKE_LEDGER_RETRY_SECONDS=3.5), pool)
    blip, away = generation(sample_job_id, seed=1), generation(sample_job_id, seed=2)
    try:
        hooked_veo.before_submit.append(locked_out(back_after=0.5))
        ridden_out = await attempt().submit(video, blip)
        assert paid(hooked_veo) == 1 and not ridden_out.resubmission_avoided

        # Back after 5 s, past the budget: by then the attempt has given up (an attempt
        # that never gives up records it then, and fails here at once; the shield keeps a
        # timeout from ending it).
        hooked_veo.before_submit.append(locked_out(back_after=5.0))
        first = attempt()
        with pytest.raises(ApplicationError) as info:
            await first.submit(video, away)
        gave_up_after = time.time() - hooked_veo.submit_times[-1][1]
        assert info.value.type == DATABASE_UNAVAILABLE and not info.value.non_retryable
        assert "adopts it from the heartbeat details" in info.value.message
        assert 2.8 <= gave_up_after <= 3.3, gave_up_after
        accepted = first.last_details[0]["operation_name"]
        assert paid(hooked_veo) == 2

        await login.let_in()
        adopted = await attempt(2, first.last_details).submit(video, away)
    finally:
        for timer in timers:
            timer.cancel()
        await video.aclose()
        await login.let_in()
    assert adopted.operation_name == accepted and paid(hooked_veo) == 2
    ledger = SubmissionLedger(pool)
    assert [o["operation_name"] for o in await ledger.operations(blip.regeneration_id)] == [
        ridden_out.operation_name]
    assert [o["operation_name"] for o in await ledger.operations(away.regeneration_id)] == [accepted]


async def test_an_outcome_the_ledger_cannot_record_never_fails_the_finished_wait(
    fresh_veo_emulator, tmp_path, ledger_login, sample_job_id, caplog
):
    login, pool = ledger_login
    caplog.set_level(logging.WARNING)
    video = VideoActivities.from_settings(veo_settings(fresh_veo_emulator, tmp_path), pool)
    req = generation(sample_job_id)
    try:
        submission = await attempt().submit(video, req)
        await login.lock_out()
        status = await wait(video, WaitRequest(operation_name=submission.operation_name,
                                               backend="veo"), 3)
    finally:
        await login.let_in()
        await video.aclose()
    assert status.state == GenerationState.SUCCEEDED and status.polls == 3
    assert f"could not record the outcome of {submission.operation_name}" in caplog.text
    [op] = await operations(pool, req.regeneration_id)
    assert op["outcome"] == "pending"  # bookkeeping lost, the wait not failed


# --- a cancellation does not drop what was paid ---------------------------------------------


@pytest.mark.parametrize("refused", [False, True])
async def test_a_cancel_while_veo_holds_the_post_waits_for_its_answer(
    hooked_veo, tmp_path, db_pool, sample_job_id, refused
):
    """Accepted: recorded before the cancellation is raised. Refused: still a cancellation
    (not the refusal), the reservation reopened."""
    hooked_veo.hold_before.append(0.5)
    if refused:
        hooked_veo.push_fault(status=503, target="submit")
    video = VideoActivities.from_settings(veo_settings(hooked_veo, tmp_path), db_pool)
    req = generation(sample_job_id)
    env = attempt().env
    try:
        running = asyncio.create_task(env.run(video.submit_generation, req))
        async with asyncio.timeout(10):
            while hooked_veo.submits_arrived == 0:
                await asyncio.sleep(0.01)
        env.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        row = await reservation(db_pool, req.regeneration_id)  # at once: recorded before
    finally:
        await video.aclose()
    if refused:
        assert (row["state"], row["operation_name"], paid(hooked_veo)) == ("open", None, 0)
    else:
        [sent] = hooked_veo.submissions()
        assert (row["state"], row["operation_name"]) == ("accepted", sent["operation_name"])
        assert paid(hooked_veo) == 1


def test_the_video_methods_are_registered_as_activities() -> None:
    """As Worker(activities=...) reads them: without @activity.defn a worker cannot run them."""
    methods = (VideoActivities.configured_backend, VideoActivities.submit_generation,
               VideoActivities.find_submission, VideoActivities.record_late_collection,
               VideoActivities.wait_for_generation, VideoActivities.store_generated_video)
    assert [_Definition.must_from_callable(m).name for m in methods] == [
        m.__name__ for m in methods]


async def test_an_unwritable_preview_spool_is_typed_and_reopens_the_reservation(
    tmp_path, db_pool, sample_job_id
):
    """The preview backend's spool cannot be written: nothing was sent anywhere, so the
    reservation is reopened like any clear refusal."""
    settings = Settings(RETAKE_VIDEO_BACKEND="preview", RETAKE_DATA_DIR=tmp_path,
                        RETAKE_VIDEO_PUBLIC_BASE_URL=None, RETAKE_ADAPTIVE_POLLING=False)
    preview_spool_dir(settings).write_text("a file where the spool folder should be")
    video = VideoActivities.from_settings(settings, db_pool)
    req = generation(sample_job_id)
    error = await refused_then_closed(video, req)
    # Said as what it is (it once read "Postgres could not be reached"), and retryable.
    assert error.type == PROVIDER_UNAVAILABLE and not error.non_retryable
    assert "spool file" in str(error) and "Postgres" not in str(error)
    row = await reservation(db_pool, req.regeneration_id)
    assert (row["state"], row["operation_name"]) == ("open", None)
    assert await operations(db_pool, req.regeneration_id) == []


class BrokenBackend(PreviewVideoBackend):
    """A backend with a bug: its submit raises an error that names no type."""

    async def submit(self, req):
        raise RuntimeError("backend bug: no type on this error")


async def test_an_untyped_backend_error_reopens_the_reservation_and_is_raised_as_it_is(
    tmp_path, db_pool, sample_job_id
):
    """Only SubmissionOutcomeUnknown keeps a reservation held; an error without a type
    (a backend's bug, never a sign Veo accepted) reopens it, and goes up unchanged."""
    settings = Settings(RETAKE_VIDEO_BACKEND="preview", RETAKE_DATA_DIR=tmp_path,
                        RETAKE_VIDEO_PUBLIC_BASE_URL=None, RETAKE_ADAPTIVE_POLLING=False)
    spool = preview_spool_dir(settings)
    video = VideoActivities(BrokenBackend(spool), LocalVideoStore(settings.videos_dir),
                            SubmissionLedger(db_pool), preview=PreviewVideoBackend(spool),
                            ledger_retry_seconds=settings.ledger_retry_seconds)
    req = generation(sample_job_id)
    try:
        with pytest.raises(RuntimeError, match="backend bug"):
            await attempt().submit(video, req)
    finally:
        await video.aclose()
    row = await reservation(db_pool, req.regeneration_id)
    assert (row["state"], row["operation_name"]) == ("open", None)
