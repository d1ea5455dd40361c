"""RevertClipWorkflow and ListClipVersionsWorkflow (workflows/clip_versions.py) on the dev
server with their two activities served by this file under the real names, recording
what they were asked: which reverts are refused before any step runs (the bounds), which
reach it, under which id, and how a step's failure ends the run. About a second."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from workflows import error_types
from workflows.clip_versions import ListClipVersionsWorkflow, RevertClipWorkflow
from workflows.step_models import RevertRequest
from workflows.version_models import (
    ClipVersions,
    ClipVersionsInput,
    RevertClipInput,
    RevertClipResult,
)

ASKED: dict[str, list] = {}  # job id -> requests, in order


@activity.defn(name="revert_clip_version")
async def revert_clip_version(req: RevertRequest) -> RevertClipResult:
    ASKED.setdefault(str(req.job_id), []).append(req)
    if req.version == 9:
        raise ApplicationError("Clip 0 has no version 9 (versions 1, 2).",
                               type=error_types.VERSION_NOT_FOUND, non_retryable=True)
    return RevertClipResult(job_id=req.job_id, clip_index=req.clip_index, version=req.version,
                            previous_version=2)


@activity.defn(name="list_clip_versions")
async def list_clip_versions(inp: ClipVersionsInput) -> ClipVersions:
    ASKED.setdefault(str(inp.job_id), []).append(inp)
    if inp.clip_index == 9:
        raise ApplicationError("No clip 9.", type=error_types.CLIP_NOT_FOUND, non_retryable=True)
    return ClipVersions(job_id=inp.job_id, clip_index=inp.clip_index)


@pytest_asyncio.fixture(scope="module")
async def worker(temporal_client: Client):
    queue = f"versions-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=queue,
                      workflows=[RevertClipWorkflow, ListClipVersionsWorkflow],
                      activities=[revert_clip_version, list_clip_versions]):

        async def run(workflow_run, inp, wf_id: str):
            return await temporal_client.execute_workflow(
                workflow_run, inp, id=wf_id, task_queue=queue,
                execution_timeout=timedelta(seconds=30))

        yield run


@pytest.mark.parametrize("clip, version", [(-1, 1), (0, 0), (2**31, -5)])
async def test_a_revert_out_of_bounds_is_refused_before_any_step(worker, clip, version):
    job = uuid.uuid4()
    with pytest.raises(WorkflowFailureError) as failure:
        await worker(RevertClipWorkflow.run,
                     RevertClipInput(job_id=job, clip_index=clip, version=version),
                     f"revert-{job}")
    cause = failure.value.cause
    assert cause.type == error_types.INVALID_INPUT and cause.non_retryable
    assert f"(got clip {clip}, version {version})" in cause.message
    assert str(job) not in ASKED


async def test_the_first_clip_and_version_1_reach_the_step_under_the_runs_id(
    worker, temporal_client
):
    job = uuid.uuid4()
    result = await worker(RevertClipWorkflow.run,
                          RevertClipInput(job_id=job, clip_index=0, version=1), f"revert-{job}")
    assert result.version == 1 and result.previous_version == 2
    [asked] = ASKED[str(job)]
    assert asked.clip_index == 0 and asked.version == 1
    assert asked.revert_id.startswith(f"revert-{job}/") and len(asked.revert_id) > 44
    metadata = await temporal_client.get_workflow_handle(f"revert-{job}").query(
        "__temporal_workflow_metadata", result_type=WorkflowMetadata)  # the Web UI's details
    assert metadata.current_details == "**reverted**: version 1 of clip 0 is current (was 2)"


async def test_a_failed_step_ends_the_run_with_its_own_typed_error(worker):
    job = uuid.uuid4()
    with pytest.raises(WorkflowFailureError) as failure:
        await worker(RevertClipWorkflow.run,
                     RevertClipInput(job_id=job, clip_index=0, version=9), f"revert-{job}")
    assert failure.value.cause.type == error_types.VERSION_NOT_FOUND
    assert failure.value.cause.message == "Clip 0 has no version 9 (versions 1, 2)."
    listed = await worker(ListClipVersionsWorkflow.run,
                          ClipVersionsInput(job_id=job, clip_index=0), f"list-{job}")
    assert listed.clip_index == 0 and listed.versions == []
    with pytest.raises(WorkflowFailureError) as failure:
        await worker(ListClipVersionsWorkflow.run,
                     ClipVersionsInput(job_id=job, clip_index=9), f"list-9-{job}")
    assert failure.value.cause.type == error_types.CLIP_NOT_FOUND
