"""Confirm first on the dev server: plan, revise, confirm, cancel, expiry, refused Updates.

Every path that could pay is counted at the Veo emulator (accepted submissions) and in
Postgres (clip_versions rows). With RETAKE_RECORD_HISTORIES=1 the histories are saved
for the replay tests.
"""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from retake.client import (
    cancel_plan,
    confirm,
    get_proposal,
    plan_regeneration,
    revise,
    start_regeneration,
)
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import record, request, versions, wait_for_stage
from workflows import error_types
from workflows.models import PlannerKind


def refused(failure: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> ApplicationError:
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


@pytest.fixture
def veo(instant_veo):
    return instant_veo


async def test_plan_shows_everything_then_confirm_pays_once_for_that_plan(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, proposal = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        plan = proposal.plan
        assert proposal.revision == 1 and proposal.state == "awaiting_confirmation"
        assert plan.planner == PlannerKind.TEMPLATE and plan.template_id == "nighttime"
        assert proposal.temperature_band == "medium_high" and not plan.seed_reused
        assert plan.generated_seconds in (4, 6, 8) and plan.delivered_seconds > 0
        assert plan.cost_estimate_usd > 0 and proposal.expires_at is not None
        assert veo.counters()["submit_requests"] == 0  # nothing paid before confirm
        assert await versions(db_pool, sample_job_id, 2) == []
        assert (await get_proposal(handle)) == proposal
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert metadata.current_details.startswith("**awaiting_confirmation**: plan revision 1")

        confirmed = await confirm(handle, revision=1)
        assert confirmed.state == "confirmed" and confirmed.plan == plan
        result = await handle.result()
        await record(handle, "confirm_first")
        history = await handle.fetch_history()
        updates = [e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
                   for e in history.events
                   if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
        assert updates == ["propose", "confirm"]  # each step, by name, in the Web UI's history

    assert result.status == "completed" and result.prompt == plan.prompt
    assert veo.counters()["submissions_accepted"] == 1
    submitted = veo.submissions()[0]
    assert submitted["instances"][0]["prompt"] == plan.prompt  # paid for what was shown
    assert submitted["parameters"]["seed"] == plan.seed
    rows = await versions(db_pool, sample_job_id, 2)
    assert [r["version_number"] for r in rows] == [1, 2] and rows[1]["prompt"] == plan.prompt


async def test_revise_replans_without_paying_and_stale_or_late_updates_are_refused(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=3)  # still running when the late Updates arrive
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, first = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        with pytest.raises(WorkflowUpdateFailedError) as bad:
            await revise(handle, "   ")
        assert refused(bad).type == error_types.INVALID_INPUT

        second = await revise(handle, "make it darker")
        assert second.revision == 2 and second.plan.template_id == "darker"
        assert second.instructions == ["make it nighttime", "make it darker"]
        assert "night" in second.plan.prompt.lower()  # revised from the nighttime plan
        assert veo.counters()["submit_requests"] == 0

        with pytest.raises(WorkflowUpdateFailedError) as stale:
            await confirm(handle, revision=1)  # the user saw an older plan
        assert refused(stale).type == error_types.UPDATE_NOT_ALLOWED
        assert "revision 2" in refused(stale).message

        await confirm(handle, revision=2)
        for late in (confirm(handle), revise(handle, "make it brighter"), cancel_plan(handle)):
            with pytest.raises(WorkflowUpdateFailedError) as failure:
                await late
            assert refused(failure).type == error_types.UPDATE_NOT_ALLOWED
            assert "already confirmed" in refused(failure).message
        result = await handle.result()
        await record(handle, "confirm_revised")

    assert result.prompt == second.plan.prompt
    assert veo.counters()["submissions_accepted"] == 1
    rows = await versions(db_pool, sample_job_id, 2)
    assert len(rows) == 2 and rows[1]["prompt"] == second.plan.prompt
    assert rows[1]["user_instruction"] == "make it nighttime / then: make it darker"


async def test_cancel_ends_with_nothing_paid(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, _ = await plan_regeneration(
            temporal_client, request(sample_job_id, 1, "make it darker"), task_queue=task_queue
        )
        dropped = await cancel_plan(handle)
        result = await handle.result()
        await record(handle, "confirm_cancelled")
    assert dropped.state == "cancelled"
    assert result.status == "cancelled" and result.version is None and result.video_url is None
    assert veo.counters()["submit_requests"] == 0
    assert await versions(db_pool, sample_job_id, 1) == []


async def test_an_unconfirmed_plan_expires_with_nothing_paid(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, proposal = await plan_regeneration(
            temporal_client,
            request(sample_job_id, 0, "make it darker", confirm_timeout_seconds=1.0),
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        await record(handle, "confirm_expired")
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.PLAN_EXPIRED
    assert cause.non_retryable and "nothing was generated or paid" in cause.message
    assert veo.counters()["submit_requests"] == 0
    assert await versions(db_pool, sample_job_id, 0) == []


async def test_plan_refusals_busy_clip_failed_planning_and_one_call_runs(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo
):
    veo.configure(job_seconds=600)
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        # Planning fails: the plan call answers with the typed error.
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await plan_regeneration(
                temporal_client, request(sample_job_id, 99, "make it darker"), task_queue=task_queue
            )
        assert refused(failure).type == error_types.CLIP_NOT_FOUND

        # A one-call regeneration does not take confirm-first Updates...
        busy = await start_regeneration(
            temporal_client, request(sample_job_id, 3, "make it darker"), task_queue=task_queue
        )
        await wait_for_stage(busy, "waiting")  # submitted: the one paid generation
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await confirm(busy)
        assert refused(failure).type == error_types.UPDATE_NOT_ALLOWED
        assert "confirm_first" in refused(failure).message
        # ...and while it runs, planning the same clip is refused.
        with pytest.raises(WorkflowAlreadyStartedError):
            await plan_regeneration(
                temporal_client, request(sample_job_id, 3, "make it nighttime"),
                task_queue=task_queue,
            )
        await busy.cancel()
    assert veo.counters()["submissions_accepted"] == 1  # the one-call run only
