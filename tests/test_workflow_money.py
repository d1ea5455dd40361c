"""Regenerations that an operator resets or a caller starts again pay Veo once and save once.

Dev server, real Postgres, in-process worker, the real google-genai client against
the Veo emulator. A reset is the server's ResetWorkflowExecution (what `temporal
workflow reset` sends) to the first workflow task: the new run runs every step again.
Each test counts paid submissions at the emulator and versions in the database.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC
from uuid import uuid4

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, PendingActivityState
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
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
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import clip_entries, record, request, versions, wait_for_stage
from workflows import error_types
from workflows.conventions import backend_queue
from workflows.models import LateCollectionResult, RegenerateClipResult
from workflows.regenerate_clip import RegenerateClipWorkflow


@pytest.fixture
def veo(veo_emulator):
    veo_emulator.reset()
    veo_emulator.configure(job_seconds=0.3)
    return veo_emulator


async def reset_to_first_workflow_task(client: Client, handle: WorkflowHandle) -> WorkflowHandle:
    """Reset the run to its first completed workflow task; a handle on the new run."""
    history = await handle.fetch_history()
    first_task = next(e.event_id for e in history.events
                      if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=handle.id,
                                                 run_id=history.run_id),
            reason="test: operator reset after a bad deploy",
            workflow_task_finish_event_id=first_task,
            request_id=str(uuid4()),
        )
    )
    return client.get_workflow_handle(handle.id, run_id=response.run_id,
                                      result_type=RegenerateClipResult)


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
            with pytest.raises(WorkflowFailureError) as failure:
                await handle.result()
            assert isinstance(failure.value.cause, CancelledError)
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


async def test_cancel_during_persist_saves_the_paid_video_once_and_consistently(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, postgres_dsn, veo
):
    """The cancel lands while persist is running (blocked on the clip's stage row, which
    a test transaction holds FOR UPDATE). Paid once, saved once: the video becomes
    version 2, and the clip entry names it exactly when version 2 is current. The
    regeneration reports "cancelled" even when the running persist committed: a cancel
    cannot take back a commit in flight (docs/reliability.md, money table)."""
    original_url = await clip_url(db_pool, sample_job_id, 3)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        async with HeldLock(postgres_dsn, "SELECT id FROM job_stages WHERE job_id = $1"
                            " AND stage_name = 'video_generator' FOR UPDATE", sample_job_id) as lock:
            handle = await start_regeneration(
                temporal_client, request(sample_job_id, 3, "make it nighttime"),
                task_queue=task_queue)

            async def persist_blocked() -> bool:
                await lock.conn.execute("SELECT pg_stat_clear_snapshot()")
                return bool(await lock.conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query LIKE '%video_generator%FOR UPDATE%' AND pid <> pg_backend_pid()"))

            await wait_until(persist_blocked, timeout=30, every=0.05)
            await handle.cancel()
            await asyncio.sleep(0.5)  # the cancel reaches the worker while persist waits
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
        # Where the cancel landed, from the history: after the wait (and the store in its
        # final check) completed, and before the persist step's marker, so persist was
        # running when it came (issue 35: the test tests what it says).
        events = [e async for e in handle.fetch_history_events()]
        cancel_at = next(i for i, e in enumerate(events) if e.event_type ==
                         EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
        waited_at = max(i for i, e in enumerate(events)
                        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        persisted = [i for i, e in enumerate(events)
                     if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
                     and b"persist_clip_version" in e.SerializeToString()]
        assert waited_at < cancel_at, "the cancel landed before Veo's video was stored"
        assert all(i > cancel_at for i in persisted), "persist had finished before the cancel"
        progress = await handle.query(RegenerateClipWorkflow.progress)
        late = None
        if progress.late_collection_workflow_id:
            late = await temporal_client.get_workflow_handle(
                progress.late_collection_workflow_id, result_type=LateCollectionResult).result()

    assert paid(veo) == 1
    rows = await versions(db_pool, sample_job_id, 3)
    assert [r["version_number"] for r in rows] == [1, 2]
    [current] = [r for r in rows if r["is_current"]]
    expected_url = original_url if current["version_number"] == 1 else rows[1]["video_url"]
    assert await clip_url(db_pool, sample_job_id, 3) == expected_url
    # The persist that was running commits (seen every time here: version 2 current) or
    # is rolled back (then the collector keeps version 2, not current); either way the
    # collector's result says which, and nothing is saved or paid twice.
    assert late is not None and late.version == 2, late
    assert late.outcome == ("already_saved" if current["version_number"] == 2
                            else "collected_late"), (rows, late)


async def test_cancel_while_veo_is_accepting_still_records_and_keeps_the_video(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, hooked_veo
):
    hooked_veo.hold_before.append(2.0)  # the POST is in flight when the cancel lands
    async with run_worker(retake_settings(tmp_path, veo=hooked_veo)):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 5, "make it nighttime"), task_queue=task_queue)
        async with asyncio.timeout(60):  # the POST is at Veo (held there) when the cancel lands
            while hooked_veo.submits_arrived == 0:
                await asyncio.sleep(0.02)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError):
            await handle.result()
        progress = await handle.query(RegenerateClipWorkflow.progress)
        late = await temporal_client.get_workflow_handle(
            progress.late_collection_workflow_id, result_type=LateCollectionResult).result()
        [cancelled] = [e async for e in handle.fetch_history_events()
                       if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED]
    # From the history and the emulator's clock: the cancel reached the server while the
    # paid POST was held at Veo (issue 35: the test shows the path it claims).
    [(arrived, answered)] = hooked_veo.submit_times
    assert arrived < cancelled.event_time.ToDatetime(tzinfo=UTC).timestamp() < answered
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

    def stop_for_a_while() -> None:
        server.stop("fast")
        threading.Timer(3.0, lambda: (server.start(), restarted.set())).start()

    hooked_veo.before_submit.append(stop_for_a_while)
    settings = retake_settings(tmp_path, veo=hooked_veo, RETAKE_LEDGER_RETRY_SECONDS=0.5)
    activities = RetakeActivities.from_settings(settings, pool)
    async with build_worker(temporal_client, settings, activities, task_queue=task_queue):
        handle = await start_regeneration(
            temporal_client, request(job, 2, "make it nighttime"), task_queue=task_queue)
        result = await handle.result()

    assert restarted.is_set()
    assert paid(hooked_veo) == 1 and result.version == 2
    assert result.possible_duplicate_charges == 0  # adopted from heartbeat details, not resent
    assert [r["version_number"] for r in await versions(pool, job, 2)] == [1, 2]
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
