"""Regenerations that an operator resets or a caller starts again pay Veo once and save once.

Dev server, real Postgres, in-process worker, the real google-genai client against
the Veo emulator. A reset is the server's ResetWorkflowExecution (what `temporal
workflow reset` sends) to the first workflow task: the new run runs every step again.
Each test counts paid submissions at the emulator and versions in the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import UTC, timedelta

import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState, WorkflowTaskFailedCause
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError

from retake.client import start_regeneration
from retake.wiring import RetakeActivities, build_worker
from tests.reliability.helpers import (
    GatedVeo,
    HeldLock,
    activity_completed,
    pending_activity,
    wait_until,
)
from tests.support.job_rows import version_problems
from tests.support.resets import reset_to_first_workflow_task
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import clip_entries, record, request, versions, wait_for_stage
from workflows import error_types
from workflows.conventions import backend_queue, workflow_id_for
from workflows.models import LateCollectionResult
from workflows.regenerate_clip import RegenerateClipWorkflow

# Every test ends with one current version per clip of the sample job, shown by the
# clip's entry (tests/support/postgres.py; issue 35).
pytestmark = pytest.mark.usefixtures("one_current_version_per_clip")


@pytest.fixture
def veo(veo_emulator):
    veo_emulator.reset()
    veo_emulator.configure(job_seconds=0.3)
    return veo_emulator


async def money_rows(db_pool, job) -> list[str]:
    """The job's ledger rows and versions as text (updated_at left out)."""
    rows = []
    for table in ("veo_submissions", "veo_operations", "clip_versions"):
        rows += [f"{table} {r['row']}" for r in await db_pool.fetch(
            f"SELECT (to_jsonb(t) - 'updated_at')::text AS row FROM {table} t WHERE job_id = $1",
            job)]
    return sorted(rows)


def stored_files(tmp_path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "videos").rglob("*")
                  if p.is_file())


def paid(veo) -> int:
    return veo.counters()["submissions_accepted"]


async def saved(db_pool, job, clip) -> list[tuple[int, int, bool]]:
    """(version, seed, current) of each regenerated version (the original, 1, left out)."""
    return [(r["version_number"], r["generation_seed"], r["is_current"])
            for r in await versions(db_pool, job, clip) if r["version_number"] > 1]


async def test_reset_after_completion_pays_nothing_and_returns_the_same_version(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue)
        first = await handle.result()
        recorded = await money_rows(db_pool, sample_job_id)
        stored = stored_files(tmp_path)
        reset = await reset_to_first_workflow_task(temporal_client, handle)
        again = await reset.result()
        await record(handle, "reset_proof_id")  # the patched path, for the replay tests
        await record(reset, "reset_after_completion")
        # The reset run did run submit again: it found the operation in the ledger.
        assert await activity_completed(reset, "submit_generation")

    assert reset.run_id != handle.result_run_id
    assert paid(veo) == 1
    # It found its submission, stored video and version already recorded: nothing new
    # in the ledger, the video store or clip_versions.
    assert await money_rows(db_pool, sample_job_id) == recorded
    assert stored_files(tmp_path) == stored and len(stored) == 1
    assert again.version == first.version == 2 and again.video_url == first.video_url
    [sent] = veo.submissions()
    # The reset run planned again, but reports and keeps what Veo was sent.
    assert again.seed == first.seed == sent["parameters"]["seed"]
    assert again.prompt == first.prompt == sent["instances"][0]["prompt"]
    assert await saved(db_pool, sample_job_id, 2) == [(2, first.seed, True)]


async def test_reset_while_veo_works_adopts_the_running_generation(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=3.0)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 3, "make it nighttime"), task_queue=task_queue)
        await wait_for_stage(handle, "waiting")
        reset = await reset_to_first_workflow_task(temporal_client, handle)
        assert still_generating_at(veo, time.time())  # the reset landed while Veo worked
        result = await reset.result()

    assert paid(veo) == 1
    [sent] = veo.submissions()
    assert result.version == 2 and result.seed == sent["parameters"]["seed"]
    assert await saved(db_pool, sample_job_id, 3) == [(2, result.seed, True)]


async def test_starting_again_with_the_same_request_id_pays_nothing(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    inp = request(sample_job_id, 4, "make it nighttime").model_copy(
        update={"request_id": "chat-msg-8812"})
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        first = await (await start_regeneration(temporal_client, inp, task_queue=task_queue)).result()
        again = await (await start_regeneration(temporal_client, inp, task_queue=task_queue)).result()
        other = await (await start_regeneration(
            temporal_client, inp.model_copy(update={"request_id": "chat-msg-8813"}),
            task_queue=task_queue)).result()

    assert again.version == first.version == 2 and again.video_url == first.video_url
    assert other.version == 3  # a new request id is a new, paid regeneration
    assert paid(veo) == 2
    assert [v for v, _, _ in await saved(db_pool, sample_job_id, 4)] == [2, 3]


# --- 5. no paid video abandoned -------------------------------------------------------

PRECISE = "keep everything the same but change her hair color to blonde"  # same plan each time


async def clip_url(db_pool, job, clip) -> str:
    entries = await clip_entries(db_pool, job)
    return entries[clip]["video_url"]


async def operation_outcomes(db_pool, job, clip) -> list[tuple[str, int | None]]:
    rows = await db_pool.fetch(
        "SELECT outcome, version_number FROM veo_operations WHERE job_id = $1 AND clip_index = $2"
        " ORDER BY created_at", job, clip)
    return [(r["outcome"], r["version_number"]) for r in rows]


async def history_of(handle: WorkflowHandle, activity_type: str) -> list[int]:
    """The event types of every event of that activity type's tasks, in order."""
    scheduled: set[int] = set()
    found = []
    async for e in handle.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            if e.activity_task_scheduled_event_attributes.activity_type.name == activity_type:
                scheduled.add(e.event_id)
                found.append(e.event_type)
            continue
        for field in ("activity_task_started_event_attributes",
                      "activity_task_completed_event_attributes",
                      "activity_task_failed_event_attributes",
                      "activity_task_timed_out_event_attributes",
                      "activity_task_cancel_requested_event_attributes",
                      "activity_task_canceled_event_attributes"):
            if e.HasField(field) and getattr(e, field).scheduled_event_id in scheduled:
                found.append(e.event_type)
    return found


def still_generating_at(veo, wall: float) -> bool:
    """No status check had answered "done" by `wall` (time.time()): Veo was still
    generating every job then."""
    offset = time.time() - time.monotonic()  # the emulator notes monotonic times
    return all(job.first_done_at is None or job.first_done_at + offset > wall
               for job in list(veo.state.jobs.values()))


async def ended_at(handle: WorkflowHandle) -> float:
    """When the run closed (its last event), wall clock."""
    events = [e async for e in handle.fetch_history_events()]
    return events[-1].event_time.ToDatetime(tzinfo=UTC).timestamp()


async def test_video_after_the_deadline_is_kept_and_starting_again_pays_nothing(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=2.5)
    original_url = await clip_url(db_pool, sample_job_id, 0)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 0, PRECISE, deadline_seconds=1.0),
            task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        cause = failure.value.cause
        assert cause.type == error_types.GENERATION_TIMED_OUT and cause.non_retryable
        # The deadline passed while the run polled: Veo had not answered "done" when it
        # failed, and no wait attempt of the run completed.
        assert still_generating_at(veo, await ended_at(handle))
        waits = await history_of(handle, "wait_for_generation")
        assert waits and EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in waits
        [where] = cause.details
        collector = temporal_client.get_workflow_handle(
            where["late_collection_workflow_id"], result_type=LateCollectionResult)
        late = await collector.result()
        assert late.outcome == "collected_late" and late.version == 2
        scheduled = {  # the collector waits and stores where Veo's workers are, like the run
            e.activity_task_scheduled_event_attributes.activity_type.name:
            e.activity_task_scheduled_event_attributes.task_queue.name
            async for e in collector.fetch_history_events()
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        }
        assert scheduled["wait_for_generation"] == backend_queue(task_queue, "veo")
        assert scheduled["store_generated_video"] == backend_queue(task_queue, "veo")
        await record(handle, "deadline_collected_late")
        await record(collector, "collect_late_video")

        # The user starts again: the same generation is adopted, not paid for again.
        again = await (await start_regeneration(
            temporal_client, request(sample_job_id, 0, PRECISE), task_queue=task_queue)).result()

    assert paid(veo) == 1
    rows = await versions(db_pool, sample_job_id, 0)
    assert [(r["version_number"], r["is_current"]) for r in rows] == [
        (1, False), (2, False), (3, True)]
    assert rows[1]["video_url"] == late.video_url and again.version == 3
    assert rows[1]["generation_seed"] == again.seed == veo.submissions()[0]["parameters"]["seed"]
    assert original_url != late.video_url
    assert await clip_url(db_pool, sample_job_id, 0) == again.video_url
    assert await operation_outcomes(db_pool, sample_job_id, 0) == [("collected_late", 2)]
    # What the collector saved is what Veo received (workflows/submitted.py), fact by fact.
    [received] = veo.submissions()
    late_row = await db_pool.fetchrow(
        "SELECT prompt, negative_prompt, generation_seed, temperature, duration_seconds"
        " FROM clip_versions WHERE job_id = $1 AND clip_index = 0 AND version_number = 2",
        sample_job_id)
    sent = await db_pool.fetchval(
        "SELECT request FROM veo_operations WHERE job_id = $1 AND clip_index = 0", sample_job_id)
    sent = json.loads(sent) if isinstance(sent, str) else sent
    assert late_row["prompt"] == received["instances"][0]["prompt"] == again.prompt
    assert late_row["generation_seed"] == received["parameters"]["seed"]
    assert late_row["temperature"] == sent["temperature"] == again.temperature
    assert received["model"] == sent["model"]


async def test_video_of_a_cancelled_regeneration_is_kept_as_a_non_current_version(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=3.0)
    original_url = await clip_url(db_pool, sample_job_id, 1)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 1, "make it nighttime"), task_queue=task_queue)
        await wait_for_stage(handle, "waiting")
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        progress = await handle.query(RegenerateClipWorkflow.progress)
        collector = temporal_client.get_workflow_handle(
            progress.late_collection_workflow_id, result_type=LateCollectionResult)
        late = await collector.result()
        await record(handle, "cancelled_collected_late")

    assert paid(veo) == 1
    assert late.outcome == "collected_late" and late.version == 2
    rows = await versions(db_pool, sample_job_id, 1)
    assert [(r["version_number"], r["is_current"]) for r in rows] == [(1, True), (2, False)]
    assert await clip_url(db_pool, sample_job_id, 1) == original_url  # what the user sees
    assert await operation_outcomes(db_pool, sample_job_id, 1) == [("collected_late", 2)]


async def test_cancel_during_a_running_status_check_keeps_the_video_non_current(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    """The cancel lands while a wait attempt is running (its status check held at the
    wire), not between two attempts: the regeneration ends cancelled, the clip is
    unchanged, and the paid video is collected as a version that is not current."""
    gated = GatedVeo(job_seconds=0.3).start()
    gated.hold_checks = True
    original_url = await clip_url(db_pool, sample_job_id, 1)
    try:
        async with run_worker(retake_settings(tmp_path, veo=gated)):
            handle = await start_regeneration(
                temporal_client, request(sample_job_id, 1, "make it nighttime"),
                task_queue=task_queue)

            async def check_in_flight() -> bool:
                return gated.held >= 1

            await wait_until(check_in_flight, timeout=30, every=0.05)
            running = await pending_activity(handle, "wait_for_generation")
            assert running.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
            await handle.cancel()
            # The server holds the cancel, and the status check is still held at the wire.
            assert gated.held >= 1 and not gated.done_at
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
            assert isinstance(failure.value.cause, CancelledError)
            # From the history: the run asked that running wait attempt to cancel; the
            # wait never completed in this run, and the run was waiting when it ended.
            waits = await history_of(handle, "wait_for_generation")
            assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in waits
            assert EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in waits
            assert (await handle.query(RegenerateClipWorkflow.progress)).stage == "waiting"
            gated.open_gate()
            progress = await handle.query(RegenerateClipWorkflow.progress)
            late = await temporal_client.get_workflow_handle(
                progress.late_collection_workflow_id, result_type=LateCollectionResult).result()
            paid_count = paid(gated)
    finally:
        gated.open_gate()
        gated.stop()

    assert paid_count == 1
    assert late.outcome == "collected_late" and late.version == 2
    rows = await versions(db_pool, sample_job_id, 1)
    assert [(r["version_number"], r["is_current"]) for r in rows] == [(1, True), (2, False)]
    assert await clip_url(db_pool, sample_job_id, 1) == original_url


@pytest.mark.parametrize("heartbeated", [False, True],
                         ids=["inside-the-open-workflow-task", "workflow-task-heartbeated"])
async def test_cancel_during_persist_saves_the_paid_video_once_and_consistently(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, postgres_dsn, veo,
    heartbeated
):
    """The cancel reaches the server while persist is running (blocked on the clip's stage
    row, which a test transaction holds FOR UPDATE). Persist is a local activity, so where
    the run sees that cancel depends on its workflow task:

    - production's 10 s task timeout: persist runs inside the open workflow task, whose
      completion the server then refuses (an event came in meanwhile: UNHANDLED_COMMAND).
      The persist has committed: version 2 is current and the clip shows it. The run,
      replayed with the cancel, sees it where that task began (stage `waiting`, the wait
      just completed), reports "cancelled", and the collector finds the video already
      saved: a cancel cannot take back a commit in flight (docs/reliability.md).
    - a 1 s task timeout: the worker heartbeats the task while persist waits, so the run
      is in persist (stage `saving`, seen before the cancel) when the cancel lands; the
      waiting persist is cancelled and commits nothing, and the collector saves the video
      as version 2, not current: the clip is unchanged.

    Either way: paid once, saved once, one current version, and the clip entry names it."""
    original_url = await clip_url(db_pool, sample_job_id, 3)
    inp = request(sample_job_id, 3, "make it nighttime")
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        async with HeldLock(postgres_dsn, "SELECT id FROM job_stages WHERE job_id = $1"
                            " AND stage_name = 'video_generator' FOR UPDATE", sample_job_id) as lock:
            if heartbeated:
                handle = await temporal_client.start_workflow(
                    RegenerateClipWorkflow.run, inp, id=workflow_id_for(sample_job_id, 3),
                    task_queue=task_queue, task_timeout=timedelta(seconds=1))
            else:
                handle = await start_regeneration(temporal_client, inp, task_queue=task_queue)

            async def persist_blocked() -> bool:
                await lock.conn.execute("SELECT pg_stat_clear_snapshot()")
                return bool(await lock.conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%video_generator%FOR UPDATE%' AND pid <> pg_backend_pid()"))

            async def persist_gone() -> bool:
                return not await persist_blocked()

            await wait_until(persist_blocked, timeout=30, every=0.05)
            if heartbeated:
                await wait_for_stage(handle, "saving")  # the run itself is in persist
            await handle.cancel()
            # The server holds the cancel now, and persist is still waiting for the row.
            assert await persist_blocked(), "persist was not running when the cancel came"
            if heartbeated:  # the run ends while the row is still held...
                with pytest.raises(WorkflowFailureError) as failure:
                    await handle.result()
                # ...and its cancelled persist gives up the wait, having committed nothing.
                await wait_until(persist_gone, timeout=10, every=0.05)
        if not heartbeated:  # the row is free: persist commits, its task is refused
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        # Where the run saw the cancel, from its history and its own progress (issue 35:
        # the test tests what it says).
        events = [e async for e in handle.fetch_history_events()]
        cancel_at = next(i for i, e in enumerate(events) if e.event_type ==
                         EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
        waited_at = max(i for i, e in enumerate(events)
                        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        persisted = [e.marker_recorded_event_attributes for e in events[cancel_at:]
                     if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                     and b"persist_clip_version" in e.SerializeToString()]
        assert waited_at < cancel_at, "the cancel landed before Veo's video was stored"
        assert not [e for e in events[:cancel_at]
                    if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                    and b"persist_clip_version" in e.SerializeToString()]
        progress = await handle.query(RegenerateClipWorkflow.progress)
        if heartbeated:
            assert progress.stage == "saving"
            [marker] = persisted  # persist's outcome, recorded after the cancel: cancelled
            assert marker.failure.HasField("canceled_failure_info"), marker
        else:
            assert progress.stage == "waiting" and persisted == []
            refused = [e.workflow_task_failed_event_attributes.cause for e in events
                       if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            assert refused == [WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND]
        assert progress.late_collection_workflow_id, "the paid video was left uncollected"
        late = await temporal_client.get_workflow_handle(
            progress.late_collection_workflow_id, result_type=LateCollectionResult).result()

    assert paid(veo) == 1
    rows = await versions(db_pool, sample_job_id, 3)
    if heartbeated:
        assert [(r["version_number"], r["is_current"]) for r in rows] == [(1, True), (2, False)]
        assert await clip_url(db_pool, sample_job_id, 3) == original_url
        assert (late.outcome, late.version) == ("collected_late", 2)
    else:
        assert [(r["version_number"], r["is_current"]) for r in rows] == [(1, False), (2, True)]
        assert await clip_url(db_pool, sample_job_id, 3) == rows[1]["video_url"] == late.video_url
        assert (late.outcome, late.version) == ("already_saved", 2)


class ActivityCancels(logging.Handler):
    """When a cancel reaches a running activity of one type, from the SDK's own word: its
    worker logs "Running activity <type> (token <t>)" when it starts one and "Cancelling
    activity <t>, reason: <r>" when a cancel reaches it (temporalio/worker/_activity.py,
    DEBUG). A cancel requested in the history reaches the activity only with the answer
    to one of its heartbeats, which the SDK sends at most every 8 s (80% of the 10 s
    heartbeat timeout)."""

    LOGGER = "temporalio.worker._activity"

    def __init__(self, activity_type: str) -> None:
        super().__init__(logging.DEBUG)
        self.activity_type = activity_type
        self.tokens: set[bytes] = set()
        self.reached: list[tuple[float, str]] = []  # (wall clock, reason)
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("Running activity") and record.args[0] == self.activity_type:
            self.tokens.add(record.args[1])
        elif record.msg.startswith("Cancelling activity") and record.args[0] in self.tokens:
            self.reached.append((record.created, str(record.args[1])))
            self.event.set()

    def __enter__(self) -> ActivityCancels:
        logger = logging.getLogger(self.LOGGER)
        self._level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)
        return self

    def __exit__(self, *_: object) -> None:
        logger = logging.getLogger(self.LOGGER)
        logger.removeHandler(self)
        logger.setLevel(self._level)


async def test_cancel_while_veo_is_accepting_still_records_and_keeps_the_video(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, hooked_veo
):
    """The regeneration is cancelled while the paid POST is held at Veo, and Veo answers
    only once the cancel has reached the submit activity itself (its heartbeat was
    answered "cancel"): the shield in submit_generation keeps the call and records what
    was paid, and the late collector saves it. Without the shield the cancelled attempt
    drops the POST, the ledger never learns the operation, and nothing is collected."""
    with ActivityCancels("submit_generation") as cancels:
        hooked_veo.hold_until.append(cancels.event)  # the POST waits for the cancel
        async with run_worker(retake_settings(tmp_path, veo=hooked_veo)):
            handle = await start_regeneration(
                temporal_client, request(sample_job_id, 5, "make it nighttime"),
                task_queue=task_queue)
            async with asyncio.timeout(60):  # the POST is at Veo (held there)
                while hooked_veo.submits_arrived == 0:
                    await asyncio.sleep(0.02)
            await handle.cancel()
            with pytest.raises(WorkflowFailureError):
                await handle.result()
            progress = await handle.query(RegenerateClipWorkflow.progress)
            late = await temporal_client.get_workflow_handle(
                progress.late_collection_workflow_id, result_type=LateCollectionResult).result()
            events = [e async for e in handle.fetch_history_events()]
    [cancelled] = [e for e in events
                   if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED]
    cancel_requested = cancelled.event_time.ToDatetime(tzinfo=UTC).timestamp()
    # Where each thing happened (issue 35: the test shows the path it claims): the run's
    # cancel asked the submit to cancel, the cancel reached the running submit while Veo
    # still held its POST, and Veo answered after that.
    assert any(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED
               for e in events)
    [(arrived, answered)] = hooked_veo.submit_times
    assert cancels.reached, "the cancel never reached the submit activity"
    reached_at, _reason = cancels.reached[0]
    assert arrived < cancel_requested < reached_at < answered
    assert paid(hooked_veo) == 1
    assert late.outcome == "collected_late" and late.version == 2
    assert late.operation_name == hooked_veo.submissions()[0]["operation_name"]
    assert await operation_outcomes(db_pool, sample_job_id, 5) == [("collected_late", 2)]


# --- 3. unclear outcomes, through the workflow --------------------------------------------


@pytest.mark.parametrize("setting", ["resubmit", "fail"])
async def test_lost_submit_answer_is_resubmitted_and_counted_or_fails_typed(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, hooked_veo, setting
):
    hooked_veo.lose_answer_after.append(1.0)  # accepted (paid), answer after the timeout
    worker_settings = retake_settings(tmp_path, veo=hooked_veo, veo_timeout_seconds=0.3,
                                      RETAKE_UNCLEAR_SUBMIT=setting)
    async with run_worker(worker_settings):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue)
        if setting == "resubmit":
            result = await handle.result()
        else:
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()

    new_versions = [r for r in await versions(db_pool, sample_job_id, 2) if r["version_number"] > 1]
    if setting == "resubmit":
        assert paid(hooked_veo) == 2 and result.possible_duplicate_charges == 1
        assert [r["version_number"] for r in new_versions] == [2]
    else:
        assert paid(hooked_veo) == 1 and new_versions == []
        cause = failure.value.cause
        assert cause.type == error_types.SUBMISSION_OUTCOME_UNKNOWN and cause.non_retryable


# --- 2. a Postgres outage during the record step, through the workflow -------------------


async def test_postgres_down_while_recording_the_operation_pays_once(
    temporal_client, task_queue, tmp_path, outage_db, hooked_veo
):
    """Postgres stops while Veo accepts the job and stays down past the record budget:
    the attempt fails with the operation in its heartbeat details, the next attempts
    (Temporal's retries, on the real server) carry it until Postgres is back, then adopt it."""
    server, pool, job = outage_db
    restarted = threading.Event()
    restarted_at: list[float] = []

    def stop_for_a_while() -> None:
        server.stop("fast")
        threading.Timer(3.0, lambda: (server.start(), restarted_at.append(time.time()),
                                      restarted.set())).start()

    hooked_veo.before_submit.append(stop_for_a_while)
    settings = retake_settings(tmp_path, veo=hooked_veo, RETAKE_LEDGER_RETRY_SECONDS=0.5)
    activities = RetakeActivities.from_settings(settings, pool)
    async with build_worker(temporal_client, settings, activities, task_queue=task_queue):
        handle = await start_regeneration(
            temporal_client, request(job, 2, "make it nighttime"), task_queue=task_queue)
        result = await handle.result()

    assert restarted.is_set()
    # Veo answered (accepted) while Postgres was down: the record step met the outage.
    [(_, answered)] = hooked_veo.submit_times
    assert answered < restarted_at[0]
    assert paid(hooked_veo) == 1 and result.version == 2
    assert result.possible_duplicate_charges == 0  # adopted from heartbeat details, not resent
    assert [r["version_number"] for r in await versions(pool, job, 2)] == [1, 2]
    assert await version_problems(pool, job) == []
    history = await handle.fetch_history()
    started = [e.activity_task_started_event_attributes.attempt for e in history.events
               if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED]
    assert max(started) > 1  # the submit needed more than one attempt


async def test_same_request_id_after_the_deadline_makes_the_late_version_current(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=2.5)
    inp = request(sample_job_id, 3, "make it nighttime", deadline_seconds=1.0).model_copy(
        update={"request_id": "chat-msg-9001"})
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle = await start_regeneration(temporal_client, inp, task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert failure.value.cause.type == error_types.GENERATION_TIMED_OUT
        assert still_generating_at(veo, await ended_at(handle))  # the deadline came first
        [where] = failure.value.cause.details
        late = await temporal_client.get_workflow_handle(
            where["late_collection_workflow_id"], result_type=LateCollectionResult).result()
        retried = inp.model_copy(update={"options": inp.options.model_copy(
            update={"deadline_seconds": 60.0})})
        again = await (await start_regeneration(
            temporal_client, retried, task_queue=task_queue)).result()

    assert paid(veo) == 1
    assert late.outcome == "collected_late" and again.version == late.version == 2
    assert again.video_url == late.video_url
    rows = await versions(db_pool, sample_job_id, 3)
    assert [(r["version_number"], r["is_current"]) for r in rows] == [(1, False), (2, True)]
    assert await clip_url(db_pool, sample_job_id, 3) == late.video_url
