"""How anyone (the chatbot backend, starter.py, tests) talks to Retake through Temporal.

Light on purpose: it needs temporalio and pydantic only, never the worker side
(asyncpg, openai, google-genai, the activities). The workflow is started by its
registered name with typed input and result.

`connect` reads the SDK's envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS*, or a TOML profile) and always uses the pydantic
data converter. `start_regeneration` follows the conventions every caller must share
(workflows/conventions.py): one regeneration per clip at a time, searchable by job
and clip. The workflow enforces them too, so other clients (docs/api.md) are held
to the same rules.

Confirm first: `plan_regeneration` starts a regeneration with update-with-start and
returns its plan at once; `confirm`, `revise` and `cancel_plan` send the Updates. A
refused Update raises WorkflowUpdateFailedError whose cause is an ApplicationError of
type UpdateNotAllowed (or InvalidInput for a bad argument). On a run that has ended
they raise PlanExpired, PlanCancelled or AlreadyCompleted (with the result), and a
second plan on a busy clip raises ClipBusy with the pending plan (retake/answers.py).
Each takes an optional `request_id`, sent as the Update id: a retried call with the
same id is answered from the first call's answer, never run twice.

Several clips: `plan_batch` starts RegenerateClipsWorkflow (update-with-start, one
combined plan); `confirm_batch` / `cancel_batch` decide; `get_batch` reads per-clip progress.

Versions: `list_versions` runs the read-only ListClipVersionsWorkflow (the worker owns
the database, so this client needs none); `revert_clip` runs RevertClipWorkflow on the
clip's own workflow id, refused with WorkflowAlreadyStartedError while the clip is busy.
"""

from __future__ import annotations

import os
import uuid

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfigProfile
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from retake.answers import AlreadyCompleted, ClipBusy, PlanCancelled, PlanExpired, ended_answer
from workflows import conventions
from workflows.batch_models import BatchPlan, RegenerateClipsInput, RegenerateClipsResult
from workflows.conventions import workflow_id_for
from workflows.models import (
    Cancellation,
    ChatMessage,
    Confirmation,
    PlanProposal,
    Progress,
    RegenerateClipInput,
    RegenerateClipResult,
    Revision,
)
from workflows.version_models import (
    ClipVersions,
    ClipVersionsInput,
    RevertClipInput,
    RevertClipResult,
)

__all__ = [
    "AlreadyCompleted",
    "ClipBusy",
    "PlanCancelled",
    "PlanExpired",
    "ChatMessage",
    "PlanProposal",
    "Progress",
    "RegenerateClipInput",
    "RegenerateClipResult",
    "BatchPlan",
    "ClipVersions",
    "RegenerateClipsInput",
    "RegenerateClipsResult",
    "RevertClipResult",
    "cancel_batch",
    "cancel_plan",
    "confirm",
    "confirm_batch",
    "connect",
    "batch_handle",
    "get_batch",
    "get_progress",
    "get_proposal",
    "list_versions",
    "pending_polls",
    "plan_batch",
    "plan_regeneration",
    "regeneration_handle",
    "revert_clip",
    "revise",
    "start_regeneration",
    "workflow_id_for",
]



async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A client configured from the environment (or the given address) with pydantic types."""
    config = ClientConfigProfile.load().to_client_connect_config()
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=data_converter())


def data_converter():
    """Pydantic types; encrypted payloads when RETAKE_ENCRYPTION_KEYS(_FILE) is set
    (retake/encryption.py, imported only then: this client stays temporalio + pydantic)."""
    if not (os.environ.get("RETAKE_ENCRYPTION_KEYS") or os.environ.get("RETAKE_ENCRYPTION_KEYS_FILE")):
        return pydantic_data_converter
    from retake.encryption import keys_from_environment, with_encryption

    return with_encryption(pydantic_data_converter, keys_from_environment())


def summary_for(inp: RegenerateClipInput) -> str:
    """The one-line summary the Web UI shows for a regeneration."""
    instruction = " ".join(inp.instruction.split())
    if len(instruction) > 120:
        instruction = instruction[:117] + "..."
    return f"Regenerate clip {inp.clip_index} of job {inp.job_id}: {instruction}"


async def start_regeneration(
    client: Client,
    inp: RegenerateClipInput,
    *,
    task_queue: str | None = None,
    eager: bool = True,
) -> WorkflowHandle[object, RegenerateClipResult]:
    """Start one regeneration; raises WorkflowAlreadyStartedError if the clip is busy.

    Eager start hands the first workflow task straight to a worker sharing this
    client (one server round trip saved); without such a worker it is a normal start.
    """
    return await client.start_workflow(
        conventions.WORKFLOW_TYPE,
        inp,
        **_start_options(inp, task_queue),
        request_eager_start=eager,
    )


def _start_options(inp: RegenerateClipInput, task_queue: str | None) -> dict:
    """How every regeneration starts: the clip's own id, refused while the clip is busy."""
    return dict(
        id=workflow_id_for(inp.job_id, inp.clip_index),
        task_queue=task_queue or conventions.task_queue(),
        result_type=RegenerateClipResult,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        # The workflow would set these itself; set at start they are searchable from the
        # first moment, with no extra history event, and with workers that predate that.
        search_attributes=conventions.search_attributes_for(inp.job_id, inp.clip_index),
        static_summary=summary_for(inp),
    )


async def plan_regeneration(
    client: Client, inp: RegenerateClipInput, *, task_queue: str | None = None
) -> tuple[WorkflowHandle[object, RegenerateClipResult], PlanProposal]:
    """Start a confirm-first regeneration and return its plan; nothing is paid yet.

    One round trip (update-with-start): the workflow starts and the `propose` Update
    returns the plan. Raises WorkflowAlreadyStartedError if the clip is busy, and
    WorkflowUpdateFailedError (cause: the typed error) if planning failed.
    """
    inp = inp.model_copy(
        update={"options": inp.options.model_copy(update={"confirm_first": True})}
    )
    start = WithStartWorkflowOperation(
        conventions.WORKFLOW_TYPE, inp, **_start_options(inp, task_queue)
    )
    try:
        proposal = await client.execute_update_with_start_workflow(
            conventions.PROPOSE_UPDATE, start_workflow_operation=start, result_type=PlanProposal
        )
    except WorkflowAlreadyStartedError as err:
        raise await _busy(client, err.workflow_id) from err
    return await start.workflow_handle(), proposal


async def _busy(client: Client, workflow_id: str) -> ClipBusy:
    """ClipBusy with the clip's pending plan (or its progress when it has none)."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        pending = await get_proposal(handle)
    except RPCError:  # it has just ended, or is not a regeneration
        pending = None
    try:
        progress = await get_progress(handle) if pending is None else None
    except RPCError:
        progress = None
    return ClipBusy(workflow_id, pending, progress)


async def confirm(
    handle: WorkflowHandle, revision: int | None = None, *, request_id: str | None = None
) -> PlanProposal:
    """Pay for the current plan (or refuse if `revision` is not the current one)."""
    return await _conversation_update(
        handle, conventions.CONFIRM_UPDATE,
        Confirmation(revision=revision, request_id=request_id), request_id,
    )


async def revise(
    handle: WorkflowHandle, instruction: str, *, request_id: str | None = None
) -> PlanProposal:
    """Re-plan with a follow-up instruction; nothing is paid. Returns the new plan."""
    return await _conversation_update(
        handle, conventions.REVISE_UPDATE,
        Revision(instruction=instruction, request_id=request_id), request_id,
    )


async def cancel_plan(handle: WorkflowHandle, *, request_id: str | None = None) -> PlanProposal:
    """Drop the plan: the regeneration ends "cancelled", nothing paid."""
    return await _conversation_update(
        handle, conventions.CANCEL_UPDATE, Cancellation(request_id=request_id), request_id
    )


async def _conversation_update(
    handle: WorkflowHandle, name: str, arg: object, request_id: str | None
) -> PlanProposal:
    """One Update, its id the caller's request id; on an ended run, what happened."""
    try:
        return await handle.execute_update(name, arg, id=request_id, result_type=PlanProposal)
    except RPCError as err:
        answer = await ended_answer(handle, name)
        if answer is None:
            raise
        raise answer from err


async def get_proposal(handle: WorkflowHandle) -> PlanProposal | None:
    """The current confirm-first plan, read-only (None when there is none)."""
    return await handle.query(conventions.PROPOSAL_QUERY, result_type=PlanProposal | None)


def regeneration_handle(client: Client, workflow_id: str) -> WorkflowHandle[object, RegenerateClipResult]:
    """A handle on an existing regeneration, typed for its result."""
    return client.get_workflow_handle(workflow_id, result_type=RegenerateClipResult)


async def get_progress(handle: WorkflowHandle) -> Progress:
    """Where the regeneration is (the workflow's `progress` query)."""
    return await handle.query(conventions.PROGRESS_QUERY, result_type=Progress)


async def pending_polls(handle: WorkflowHandle) -> int | None:
    """Live Veo status checks so far (the pending wait activity's attempt), from the server."""
    desc = await handle.describe()
    for pending in desc.raw_description.pending_activities:
        if pending.activity_type.name == "wait_for_generation":
            return pending.attempt
    return None


async def list_versions(
    client: Client, job_id: object, clip_index: int, *, task_queue: str | None = None
) -> ClipVersions:
    """Every saved version of a clip (and its reverts), read by a worker."""
    return await client.execute_workflow(
        conventions.LIST_VERSIONS_WORKFLOW_TYPE,
        ClipVersionsInput(job_id=job_id, clip_index=clip_index),
        id=conventions.versions_workflow_id(job_id, clip_index, uuid.uuid4().hex[:12]),
        task_queue=task_queue or conventions.task_queue(),
        result_type=ClipVersions,
        search_attributes=conventions.search_attributes_for(job_id, clip_index),
        static_summary=f"List versions of clip {clip_index} of job {job_id}",
    )


async def revert_clip(
    client: Client, job_id: object, clip_index: int, version: int, *,
    task_queue: str | None = None,
) -> RevertClipResult:
    """Make a saved version current again; refused while the clip is being regenerated."""
    return await client.execute_workflow(
        conventions.REVERT_WORKFLOW_TYPE,
        RevertClipInput(job_id=job_id, clip_index=clip_index, version=version),
        id=workflow_id_for(job_id, clip_index),
        task_queue=task_queue or conventions.task_queue(),
        result_type=RevertClipResult,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=conventions.search_attributes_for(job_id, clip_index),
        static_summary=f"Revert clip {clip_index} of job {job_id} to version {version}",
    )


async def plan_batch(
    client: Client, inp: RegenerateClipsInput, *, task_queue: str | None = None
) -> tuple[WorkflowHandle[object, RegenerateClipsResult], BatchPlan]:
    """Start a batch and return its combined plan (update-with-start); one batch per job.

    With options.confirm_first (the default for a batch) nothing is paid until
    `confirm_batch`. Raises WorkflowAlreadyStartedError if the job has a batch running.
    """
    job = inp.job_id
    clips = "all clips" if inp.clips == "all" and not inp.instructions else "several clips"
    start = WithStartWorkflowOperation(
        conventions.BATCH_WORKFLOW_TYPE,
        inp,
        id=conventions.batch_workflow_id(job),
        task_queue=task_queue or conventions.task_queue(),
        result_type=RegenerateClipsResult,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=TypedSearchAttributes([SearchAttributePair(conventions.JOB_ID, str(job))]),
        static_summary=f"Regenerate {clips} of job {job}: {inp.instruction or 'one instruction each'}",
    )
    planned = await client.execute_update_with_start_workflow(
        conventions.PROPOSE_UPDATE, start_workflow_operation=start, result_type=BatchPlan
    )
    return await start.workflow_handle(), planned


def batch_handle(client: Client, job_id: object) -> WorkflowHandle[object, RegenerateClipsResult]:
    return client.get_workflow_handle(
        conventions.batch_workflow_id(job_id), result_type=RegenerateClipsResult
    )


async def confirm_batch(handle: WorkflowHandle) -> BatchPlan:
    """Pay for every planned clip of the batch; the children start, capped."""
    return await handle.execute_update(
        conventions.CONFIRM_UPDATE, Confirmation(), result_type=BatchPlan
    )


async def cancel_batch(handle: WorkflowHandle) -> BatchPlan:
    """Drop the batch's plan: nothing paid."""
    return await handle.execute_update(conventions.CANCEL_UPDATE, result_type=BatchPlan)


async def get_batch(handle: WorkflowHandle) -> BatchPlan:
    """The combined plan with each clip's state and outcome so far."""
    return await handle.query(conventions.BATCH_QUERY, result_type=BatchPlan)
