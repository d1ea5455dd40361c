"""submit_generation counts money: every path that can pay Veo, counted at the emulator.

Real google-genai client against the Veo emulator (with submission hooks), real
ledger on a real Postgres (a private one where the test takes it away). Each test
asserts how many submissions Veo accepted (paid) and what the ledger holds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from uuid import uuid4

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import ActivityEnvironment

from activities.postgres.pool import create_pool
from activities.video.submission_ledger import SubmissionLedger
from activities.video.video_activities import POSSIBLE_DUPLICATE_METRIC, VideoActivities
from tests.emulators.hooked_veo import HookedVeo
from tests.test_veo_activity import MODEL
from tests.test_veo_activity import veo_settings as settings
from workflows.error_types import DATABASE_UNAVAILABLE, SUBMISSION_OUTCOME_UNKNOWN
from workflows.step_models import GenerationRequest


@pytest.fixture
def veo(hooked_veo: HookedVeo) -> HookedVeo:
    return hooked_veo


def generation(job_id, **changes) -> GenerationRequest:
    values = dict(
        regeneration_id=f"money-{uuid4()}/first-run/0", job_id=job_id, clip_index=2,
        model=MODEL, prompt="Maya on the rooftop at night",
        negative_prompt="blurry", seed=31337, duration_seconds=8, temperature=0.35,
        enhance_prompt=False,
    )
    values.update(changes)
    return GenerationRequest(**values)


class Attempt:
    """One activity attempt, as Temporal would run it: its number, the heartbeat details
    the previous attempt left, and the heartbeats it sends (kept for the next one)."""

    def __init__(self, number: int = 1, details: list | None = None, meter=None) -> None:
        self.env = ActivityEnvironment()
        self.env.info = dataclasses.replace(self.env.info, attempt=number,
                                            heartbeat_details=list(details or []))
        self.beats: list[tuple] = []
        self.env.on_heartbeat = lambda *d: self.beats.append(d)
        if meter is not None:
            self.env.metric_meter = meter

    @property
    def last_details(self) -> list:
        with_details = [b for b in self.beats if b]
        return list(with_details[-1]) if with_details else []

    async def submit(self, video: VideoActivities, req: GenerationRequest):
        return await self.env.run(video.submit_generation, req)


def paid(emulator: HookedVeo) -> int:
    return emulator.counters()["submissions_accepted"]


# --- 4. what was submitted is what is saved ------------------------------------------


async def test_submission_echoes_what_was_sent_and_the_ledger_keeps_it(
    veo, tmp_path, db_pool, sample_job_id
):
    video = VideoActivities.from_settings(settings(veo, tmp_path), db_pool)
    try:
        req = generation(sample_job_id, reference_image_urls=[
            "http://127.0.0.1:9/unreachable.png", "gs://refs/a.png"])
        submission = await Attempt().submit(video, req)
    finally:
        await video.aclose()
    [sent] = veo.submissions()
    echo = submission.request
    assert echo.prompt == sent["instances"][0]["prompt"] == req.prompt
    assert echo.seed == sent["parameters"]["seed"] == 31337
    assert echo.negative_prompt == sent["parameters"]["negativePrompt"] == "blurry"
    assert echo.duration_seconds == sent["parameters"]["durationSeconds"] == 8
    assert echo.model == sent["model"] and echo.temperature == 0.35
    assert echo.reference_image_urls == ["gs://refs/a.png"]  # the unreachable one was not sent
    assert (await SubmissionLedger(db_pool).get(req.regeneration_id)).request == echo


# --- 2. reserve, submit, record --------------------------------------------------------


async def test_two_overlapping_attempts_on_two_workers_pay_once(
    veo, tmp_path, db_pool, sample_job_id
):
    veo.hold_before.append(0.5)  # the first POST is slow: the second attempt overlaps it
    workers = [VideoActivities.from_settings(settings(veo, tmp_path), db_pool) for _ in "ab"]
    req = generation(sample_job_id)
    try:
        first = asyncio.create_task(Attempt(1).submit(workers[0], req))
        await asyncio.sleep(0.2)
        second_started = time.time()
        second = await Attempt(2).submit(workers[1], req)
        first = await first
    finally:
        for worker in workers:
            await worker.aclose()
    # The second attempt started while the first one's POST was held at Veo.
    [(arrived, answered)] = veo.submit_times
    assert arrived < second_started < answered
    assert paid(veo) == 1 and veo.counters()["submit_requests"] == 1
    assert first.operation_name == second.operation_name
    assert not first.resubmission_avoided and second.resubmission_avoided
    ops = await SubmissionLedger(db_pool).operations(req.regeneration_id)
    assert [o["operation_name"] for o in ops] == [first.operation_name]


async def test_postgres_blip_during_record_is_ridden_out_inside_the_attempt(
    veo, tmp_path, outage_db
):
    server, pool, job = outage_db
    restarted = threading.Event()
    restarted_at: list[float] = []

    def stop_then_restart_soon() -> None:
        server.stop("fast")
        threading.Timer(1.5, lambda: (server.start(), restarted_at.append(time.time()),
                                      restarted.set())).start()

    veo.before_submit.append(stop_then_restart_soon)
    video = VideoActivities.from_settings(
        settings(veo, tmp_path, RETAKE_LEDGER_RETRY_SECONDS=30), pool)
    req = generation(job)
    try:
        attempt = Attempt()
        submission = await attempt.submit(video, req)
    finally:
        await video.aclose()
    assert restarted.is_set()
    # Veo answered while Postgres was down, so the record met the outage (and rode it out).
    [(_, answered)] = veo.submit_times
    assert answered < restarted_at[0]
    assert paid(veo) == 1 and not submission.resubmission_avoided
    assert attempt.last_details[0]["operation_name"] == submission.operation_name
    [op] = await SubmissionLedger(pool).operations(req.regeneration_id)
    assert op["operation_name"] == submission.operation_name


async def test_postgres_down_past_the_record_budget_the_next_attempt_adopts_the_operation(
    veo, tmp_path, outage_db
):
    server, pool, job = outage_db
    veo.before_submit.append(lambda: server.stop("fast"))
    req = generation(job)
    first_worker = VideoActivities.from_settings(
        settings(veo, tmp_path, RETAKE_LEDGER_RETRY_SECONDS=0.5), pool)
    first = Attempt(1)
    try:
        with pytest.raises(ApplicationError) as info:
            await first.submit(first_worker, req)
    finally:
        await first_worker.aclose()
    assert info.value.type == DATABASE_UNAVAILABLE and not info.value.non_retryable
    assert "adopts it from the heartbeat details" in info.value.message
    accepted = first.last_details[0]["operation_name"]
    assert paid(veo) == 1

    server.start()
    other_worker = VideoActivities.from_settings(settings(veo, tmp_path), pool)
    try:
        adopted = await Attempt(2, first.last_details).submit(other_worker, req)
    finally:
        await other_worker.aclose()
    assert adopted.operation_name == accepted and paid(veo) == 1  # adopted, not paid again
    assert adopted.request.seed == req.seed
    [op] = await SubmissionLedger(pool).operations(req.regeneration_id)
    assert op["operation_name"] == accepted


# --- 3. unclear outcomes ------------------------------------------------------------------


def buffered_meter() -> tuple[MetricBuffer, object]:
    buffer = MetricBuffer(1000)
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    return buffer, runtime.metric_meter


def counted(buffer: MetricBuffer) -> int:
    return sum(u.value for u in buffer.retrieve_updates() if u.metric.name == POSSIBLE_DUPLICATE_METRIC)


async def test_lost_answer_is_outcome_unknown_and_resubmitting_counts_a_possible_duplicate(
    veo, tmp_path, db_pool, sample_job_id
):
    veo.lose_answer_after.append(1.0)  # Veo accepts, the answer comes after the client gave up
    video = VideoActivities.from_settings(settings(veo, tmp_path, veo_timeout_seconds=0.3), db_pool)
    buffer, meter = buffered_meter()
    req = generation(sample_job_id)
    try:
        first = Attempt(1, meter=meter)
        with pytest.raises(ApplicationError) as info:
            await first.submit(video, req)
        assert info.value.type == SUBMISSION_OUTCOME_UNKNOWN and not info.value.non_retryable
        again = await Attempt(2, first.last_details, meter=meter).submit(video, req)
    finally:
        await video.aclose()
    assert paid(veo) == 2  # the lost one was charged too
    assert again.possible_duplicate_charges == 1
    assert counted(buffer) == 1
    ops = await SubmissionLedger(db_pool).operations(req.regeneration_id)
    assert [o["operation_name"] for o in ops] == [again.operation_name]


async def test_lost_answer_with_fail_setting_stops_without_paying_again(
    veo, tmp_path, db_pool, sample_job_id
):
    veo.lose_answer_after.append(1.0)
    video = VideoActivities.from_settings(
        settings(veo, tmp_path, veo_timeout_seconds=0.3, RETAKE_UNCLEAR_SUBMIT="fail"), db_pool)
    req = generation(sample_job_id)
    try:
        with pytest.raises(ApplicationError) as info:
            await Attempt(1).submit(video, req)
        assert info.value.type == SUBMISSION_OUTCOME_UNKNOWN and info.value.non_retryable
        # A retry anyway (an operator's reset) still refuses to pay again.
        with pytest.raises(ApplicationError) as again:
            await Attempt(2).submit(video, req)
        assert again.value.type == SUBMISSION_OUTCOME_UNKNOWN and again.value.non_retryable
    finally:
        await video.aclose()
    assert paid(veo) == 1
    assert "RETAKE_UNCLEAR_SUBMIT=fail" in info.value.message


async def test_attempt_that_died_mid_post_counts_a_possible_duplicate(
    veo, tmp_path, db_pool, sample_job_id
):
    """What a crash mid-POST leaves (a 'submitting' reservation, no operation, no
    heartbeat) set up here by hand, so the next attempt's counting is tested alone. The
    crash itself, with the code under test writing the row and a real worker process
    SIGKILLed while Veo holds the POST, is tests/reliability/test_worker_kills.py's
    `submitting` scenario (one possible duplicate counted there too)."""
    video = VideoActivities.from_settings(settings(veo, tmp_path), db_pool)
    req = generation(sample_job_id)
    async with SubmissionLedger(db_pool).reservation(req) as held:
        await held.mark_submitting("veo", possible_duplicate=False)  # then the worker died
    try:
        submission = await Attempt(2).submit(video, req)
    finally:
        await video.aclose()
    assert paid(veo) == 1 and submission.possible_duplicate_charges == 1


async def test_a_clear_refusal_reopens_the_reservation_and_is_no_possible_duplicate(
    veo, tmp_path, db_pool, sample_job_id
):
    veo.push_fault(status=503, target="submit")
    video = VideoActivities.from_settings(settings(veo, tmp_path), db_pool)
    req = generation(sample_job_id)
    try:
        with pytest.raises(ApplicationError):
            await Attempt(1).submit(video, req)
        submission = await Attempt(2).submit(video, req)
    finally:
        await video.aclose()
    assert paid(veo) == 1 and submission.possible_duplicate_charges == 0


async def test_more_concurrent_submits_than_pool_connections_all_complete(
    veo, tmp_path, postgres_dsn, sample_job_id
):
    """Each submit holds one connection (its reservation lock) across the POST and does
    all its ledger work on it: a second one from the pool could exhaust it (deadlock)."""
    pool = await create_pool(postgres_dsn, min_size=1, max_size=2)
    video = VideoActivities.from_settings(settings(veo, tmp_path), pool)
    veo.hold_before.extend([0.1] * 6)
    try:
        results = await asyncio.wait_for(asyncio.gather(*(
            Attempt().submit(video, generation(sample_job_id, seed=seed)) for seed in range(6)
        )), timeout=30)
    finally:
        await video.aclose()
        await pool.close()
    assert len({r.operation_name for r in results}) == 6 and paid(veo) == 6


async def test_a_cancel_mid_post_still_waits_for_the_paid_answer_and_records_it(
    veo, tmp_path, db_pool, sample_job_id
):
    """The shield in submit_generation: a cancellation that reaches the activity while
    Veo holds the POST does not drop the paid answer; the operation is recorded, and the
    next attempt (or the late collector) adopts it instead of paying again."""
    veo.hold_before.append(1.5)
    video = VideoActivities.from_settings(settings(veo, tmp_path), db_pool)
    req = generation(sample_job_id)
    env = ActivityEnvironment()
    try:
        running = asyncio.create_task(env.run(video.submit_generation, req))
        async with asyncio.timeout(30):
            while veo.submits_arrived == 0:
                await asyncio.sleep(0.01)
        env.cancel()  # lands while the POST is held at Veo
        cancelled_at, cancelled_wall = asyncio.get_running_loop().time(), time.time()
        with pytest.raises(asyncio.CancelledError):
            await running
        waited = asyncio.get_running_loop().time() - cancelled_at
        again = await Attempt(2).submit(video, req)
    finally:
        await video.aclose()
    assert waited >= 1.0  # the cancelled attempt waited for Veo's answer
    [(arrived, answered)] = veo.submit_times  # one POST: the next attempt adopted it
    assert arrived < cancelled_wall < answered  # the cancel came while the POST was held
    [sent] = veo.submissions()
    row = await db_pool.fetchrow("SELECT state, operation_name FROM veo_submissions "
                                 "WHERE regeneration_id = $1", req.regeneration_id)
    assert (row["state"], row["operation_name"]) == ("accepted", sent["operation_name"])
    assert again.resubmission_avoided and again.operation_name == sent["operation_name"]
    assert paid(veo) == 1
