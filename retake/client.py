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
"""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfigProfile

from workflows import conventions
from workflows.conventions import workflow_id_for
from workflows.models import ChatMessage, Progress, RegenerateClipInput, RegenerateClipResult

__all__ = [
    "ChatMessage",
    "Progress",
    "RegenerateClipInput",
    "RegenerateClipResult",
    "connect",
    "get_progress",
    "pending_polls",
    "regeneration_handle",
    "start_regeneration",
    "workflow_id_for",
]

PROGRESS_QUERY = "progress"


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A client configured from the environment (or the given address) with pydantic types."""
    config = ClientConfigProfile.load().to_client_connect_config()
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=pydantic_data_converter)


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
        id=workflow_id_for(inp.job_id, inp.clip_index),
        task_queue=task_queue or conventions.task_queue(),
        result_type=RegenerateClipResult,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        # The workflow would set these itself; set at start they are searchable from the
        # first moment, with no extra history event, and with workers that predate that.
        search_attributes=conventions.search_attributes_for(inp.job_id, inp.clip_index),
        static_summary=summary_for(inp),
        request_eager_start=eager,
    )


def regeneration_handle(client: Client, workflow_id: str) -> WorkflowHandle[object, RegenerateClipResult]:
    """A handle on an existing regeneration, typed for its result."""
    return client.get_workflow_handle(workflow_id, result_type=RegenerateClipResult)


async def get_progress(handle: WorkflowHandle) -> Progress:
    """Where the regeneration is (the workflow's `progress` query)."""
    return await handle.query(PROGRESS_QUERY, result_type=Progress)


async def pending_polls(handle: WorkflowHandle) -> int | None:
    """Live Veo status checks so far (the pending wait activity's attempt), from the server."""
    desc = await handle.describe()
    for pending in desc.raw_description.pending_activities:
        if pending.activity_type.name == "wait_for_generation":
            return pending.attempt
    return None
