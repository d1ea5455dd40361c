"""How anyone (the chatbot backend, starter.py, tests) talks to Retake through Temporal.

`connect` reads the SDK's envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
TEMPORAL_API_KEY, TEMPORAL_TLS*, or a TOML profile) and always uses the pydantic
data converter. `start_regeneration` fixes the conventions every caller must share:
one regeneration per clip at a time, searchable by job and clip.
"""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.envconfig import ClientConfigProfile

from activities.config import Settings
from workflows import search_attributes
from workflows.models import RegenerateClipInput, RegenerateClipResult
from workflows.regenerate_clip import RegenerateClipWorkflow


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A client configured from the environment (or the given address) with pydantic types."""
    config = ClientConfigProfile.load().to_client_connect_config()
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    config.setdefault("target_host", "localhost:7233")
    return await Client.connect(**config, data_converter=pydantic_data_converter)


def workflow_id_for(job_id: object, clip_index: int) -> str:
    """One id per clip: a second concurrent regeneration of the same clip is refused."""
    return f"regenerate-{job_id}-{clip_index}"


def summary_for(inp: RegenerateClipInput) -> str:
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
) -> WorkflowHandle[RegenerateClipWorkflow, RegenerateClipResult]:
    """Start one regeneration; raises WorkflowAlreadyStartedError if the clip is busy.

    Eager start hands the first workflow task straight to a worker sharing this
    client (one server round trip saved); without such a worker it is a normal start.
    """
    return await client.start_workflow(
        RegenerateClipWorkflow.run,
        inp,
        id=workflow_id_for(inp.job_id, inp.clip_index),
        task_queue=task_queue or Settings().task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(search_attributes.JOB_ID, str(inp.job_id)),
                SearchAttributePair(search_attributes.CLIP_INDEX, inp.clip_index),
            ]
        ),
        static_summary=summary_for(inp),
        request_eager_start=eager,
    )
