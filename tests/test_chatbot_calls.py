"""A chatbot's tool calls on the dev server: consent on every path, a typed answer to
every call, and a retried call answered once.

Real worker, real Postgres, the Veo emulator counting paid submissions; plain JSON
through the Temporal CLI where the issue found the gaps (issue #31, points 1-2).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from retake.client import (
    AlreadyCompleted,
    ClipBusy,
    PlanCancelled,
    PlanExpired,
    cancel_plan,
    confirm,
    get_proposal,
    plan_regeneration,
    revise,
)
from tests.support.temporal import retake_settings
from tests.test_any_client import cli, plain_input, target  # noqa: F401 (fixtures)
from tests.test_workflow_e2e import record, request, versions
from workflows import error_types
from workflows.conventions import workflow_id_for


@pytest.fixture
def veo(fresh_veo_emulator):
    return fresh_veo_emulator  # counts this test's paid submissions


def accepted_updates(history, name: str) -> int:
    return sum(
        1 for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        and e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
        == name
    )


async def test_plain_json_propose_without_confirm_first_waits_and_pays_nothing(
    temporal_client, cli, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo  # noqa: F811
):
    workflow_id = workflow_id_for(sample_job_id, 1)
    start = json.dumps(plain_input(sample_job_id, 1, "make it a bit brighter"))  # no confirm_first
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        code, out, err = await cli(
            "workflow", "execute-update-with-start", "--update-name", "propose",
            "--workflow-id", workflow_id, "--type", "RegenerateClipWorkflow",
            "--task-queue", task_queue, "--id-conflict-policy", "Fail", "--input", start,
            "-o", "json",
        )
        assert code == 0, err
        proposal = json.loads(out)["updateResult"] if "updateResult" in out else json.loads(out)
        assert "awaiting_confirmation" in json.dumps(proposal)
        await asyncio.sleep(1.0)  # a run that ignored the propose would be submitting by now
        assert veo.counters()["submit_requests"] == 0

        # Missing or malformed Update arguments: InvalidInput naming the field, never retried.
        code, out, err = await cli("workflow", "update", "execute", "--name", "revise",
                                   "--workflow-id", workflow_id)
        assert code != 0 and "InvalidInput" in err + out and "instruction" in err + out
        code, out, err = await cli("workflow", "update", "execute", "--name", "revise",
                                   "--workflow-id", workflow_id, "--input", '"brighter"')
        assert code != 0 and "InvalidInput" in err + out and "JSON object" in err + out
        code, out, err = await cli("workflow", "update", "execute", "--name", "revise",
                                   "--workflow-id", workflow_id, "--input", '{"text": "x"}')
        assert code != 0 and "InvalidInput" in err + out and "instruction" in err + out
        code, out, err = await cli("workflow", "update", "execute", "--name", "confirm",
                                   "--workflow-id", workflow_id, "--input", '{"revision": "two"}')
        assert code != 0 and "InvalidInput" in err + out and "revision" in err + out
        for text in ("TypeError", "RuntimeError"):
            assert text not in err + out

        code, out, err = await cli("workflow", "update", "execute", "--name", "cancel",
                                   "--workflow-id", workflow_id)
        assert code == 0, err
        code, out, err = await cli("workflow", "result", "--workflow-id", workflow_id,
                                   "-o", "json")
        assert code == 0, err
        await record(temporal_client.get_workflow_handle(workflow_id),
                     "propose_without_confirm_first")
    assert json.loads(out)["result"]["status"] == "cancelled"
    assert veo.counters()["submit_requests"] == 0
    assert await versions(db_pool, sample_job_id, 1) == []


async def test_cancel_result_is_the_cancelled_plan_and_revise_answers_its_own_expiry(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, first = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        await asyncio.sleep(1.1)  # the revision's expiry must be later than the first's
        revised = await revise(handle, "and add light fog")
        assert revised.revision == 2
        assert revised.expires_at == (await get_proposal(handle)).expires_at
        assert revised.expires_at > first.expires_at
        cancelled = await cancel_plan(handle)
        result = await handle.result()
        await record(handle, "revised_then_cancelled")
    assert cancelled.revision == 2 and cancelled.state == "cancelled"
    assert result.status == "cancelled"
    assert (result.prompt, result.temperature, result.seed) == (
        revised.plan.prompt, revised.plan.temperature, revised.plan.seed)
    assert veo.counters()["submit_requests"] == 0


async def test_calls_on_ended_runs_and_a_second_plan_are_answered_typed(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, first = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        with pytest.raises(ClipBusy) as busy:
            await plan_regeneration(temporal_client, request(sample_job_id, 2, "brighter"),
                                    task_queue=task_queue)
        assert busy.value.pending == first and busy.value.type == error_types.CLIP_BUSY
        assert "already has a plan waiting" in busy.value.message

        await cancel_plan(handle)
        await handle.result()
        with pytest.raises(PlanCancelled) as ended:
            await confirm(handle)
        assert ended.value.type == "PlanCancelled" and ended.value.result.status == "cancelled"

        handle, _ = await plan_regeneration(
            temporal_client,
            request(sample_job_id, 2, "make it nighttime", confirm_timeout_seconds=0.5),
            task_queue=task_queue,
        )
        await asyncio.sleep(2.0)
        with pytest.raises(PlanExpired) as ended:
            await revise(handle, "a bit darker")
        assert ended.value.type == "PlanExpired" and "expired" in ended.value.message

        handle, _ = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        await confirm(handle)
        done = await handle.result()
        with pytest.raises(AlreadyCompleted) as ended:
            await cancel_plan(handle)
    assert ended.value.result == done and ended.value.type == "AlreadyCompleted"
    assert f"version {done.version}" in ended.value.message


async def test_a_retried_call_with_the_same_request_id_is_answered_once(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, _ = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        once = await revise(handle, "add light fog", request_id="chat-42-turn-3")
        again = await revise(handle, "add light fog", request_id="chat-42-turn-3")
        assert once == again and again.revision == 2  # not re-planned as revision 3
        assert (await get_proposal(handle)).revision == 2
        paid = await confirm(handle, 2, request_id="chat-42-turn-4")
        assert await confirm(handle, 2, request_id="chat-42-turn-4") == paid
        await handle.result()
        history = await handle.fetch_history()
    assert accepted_updates(history, "revise") == 1 and accepted_updates(history, "confirm") == 1
    assert veo.counters()["submissions_accepted"] == 1


async def test_temporal_cancel_of_a_pending_plan_ends_like_the_cancel_update(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, proposal = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        await handle.cancel()
        result = await handle.result()
        status = (await handle.describe()).status
        await record(handle, "temporal_cancel_of_a_plan")
    assert status == WorkflowExecutionStatus.COMPLETED
    assert result.status == "cancelled" and result.prompt == proposal.plan.prompt
    assert veo.counters()["submit_requests"] == 0


async def test_a_refused_update_is_typed_through_the_python_client(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, _ = await plan_regeneration(
            temporal_client, request(sample_job_id, 2, "make it nighttime"), task_queue=task_queue
        )
        with pytest.raises(WorkflowUpdateFailedError) as bad:
            await handle.execute_update("revise", "just a string")
        await cancel_plan(handle)
    cause = bad.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.INVALID_INPUT
    assert cause.non_retryable and '{"instruction"' in cause.message


async def test_a_batch_refuses_a_malformed_argument_as_invalid_input(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo
):
    from retake.client import cancel_batch, plan_batch
    from workflows.batch_models import RegenerateClipsInput

    async with run_worker(retake_settings(tmp_path, veo=veo)):
        handle, _ = await plan_batch(
            temporal_client,
            RegenerateClipsInput(job_id=sample_job_id, clips=[0], instruction="make it darker"),
            task_queue=task_queue,
        )
        with pytest.raises(WorkflowUpdateFailedError) as bad:
            await handle.execute_update("confirm", "yes please")
        cancelled = await cancel_batch(handle)
    cause = bad.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.INVALID_INPUT
    assert cause.non_retryable and cancelled.state == "cancelled"
    assert veo.counters()["submit_requests"] == 0
