"""Retake as tools an LLM calls directly: one list, served by MCP and printed for OpenAI.

Each tool is a name, a description written for a model (what it does, what it costs,
what to call next), an argument model whose JSON Schema is the tool's input schema, and
a handler built on retake.client's public functions. retake/mcp_server.py serves them;
`openai_tools()` is the same list as OpenAI function-calling JSON (docs/api.md and
docs/api/openai-tools.json, checked by tests/test_api_schema.py). Light like the client:
temporalio and pydantic only.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from retake import client as retake
from retake.job_activity import JobActivity, job_activity
from workflows import conventions
from workflows.batch_models import BatchPlan, RegenerateClipsInput
from workflows.models import (
    ChatMessage,
    PlanProposal,
    Progress,
    RegenerateClipInput,
    RegenerateClipResult,
    RegenerateOptions,
)
from workflows.version_models import ClipVersions, RevertClipResult

JobId = Field(description="The music-video job's id (a UUID).")
ClipIndex = Field(ge=0, le=2**31 - 1, description="Which clip of the job, counting from 0.")


class ClipRef(BaseModel):
    job_id: UUID = JobId
    clip_index: int = ClipIndex


class PlanArgs(ClipRef):
    instruction: str = Field(
        description="What the user wants changed in this clip, in their words "
        "(e.g. 'make it nighttime')."
    )
    conversation: list[ChatMessage] = Field(
        default_factory=list,
        description="Recent chat messages, for context; the planner reads the last 3.",
    )
    video_model: Literal["veo-3.1-generate-001", "veo-3.1-fast-generate-001"] = Field(
        default="veo-3.1-generate-001",
        description="The fast model costs less per second and takes no reference images.",
    )
    expires_in_seconds: float = Field(
        default=900.0, ge=0.1, le=604800,
        description="How long the plan waits for confirm before it expires, unpaid.",
    )


class ReviseArgs(ClipRef):
    instruction: str = Field(description="The user's follow-up, e.g. 'and a little darker'.")


class ConfirmArgs(ClipRef):
    revision: int = Field(
        ge=1,
        description="The plan revision the user saw and agreed to; refused if it is no "
        "longer the current one.",
    )


class RevertArgs(ClipRef):
    version: int = Field(ge=1, description="The saved version to make current (1 is the original).")


class BatchArgs(BaseModel):
    job_id: UUID = JobId
    clips: list[int] | Literal["all"] = Field(
        default="all", description="Clip indexes to change with `instruction`, or \"all\"."
    )
    instruction: str | None = Field(
        default=None, description="One instruction for every clip in `clips`."
    )
    instructions: dict[int, str] = Field(
        default_factory=dict,
        description="Instead of `instruction`: one instruction per clip index.",
    )
    max_concurrent: int = Field(default=3, ge=1, le=20, description="Clips generated at once.")


class JobRef(BaseModel):
    job_id: UUID = JobId


class ClipStatus(BaseModel):
    """Where one clip's regeneration is: running (with its stage and plan) or how it ended."""

    workflow_id: str
    status: Literal["none", "running", "completed", "failed", "cancelled", "terminated",
                    "timed_out", "continued_as_new"]
    workflow_type: str | None = None
    progress: Progress | None = None
    proposal: PlanProposal | None = None
    result: RegenerateClipResult | None = None
    error_type: str | None = None
    error_message: str | None = None


class ToolError(Exception):
    """A refusal the model can act on: `kind` is Retake's error type, the message says what to do."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


Handler = Callable[[Client, Any], Awaitable[BaseModel]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[BaseModel]
    handler: Handler
    read_only: bool = False

    def input_schema(self) -> dict:
        return inline_refs(self.args.model_json_schema(mode="validation"))


async def _plan(client: Client, a: PlanArgs) -> PlanProposal:
    inp = RegenerateClipInput(
        job_id=a.job_id, clip_index=a.clip_index, instruction=a.instruction,
        conversation=a.conversation,
        options=RegenerateOptions(video_model=a.video_model,
                                  confirm_timeout_seconds=a.expires_in_seconds),
    )
    _, proposal = await retake.plan_regeneration(client, inp)
    return proposal


def _clip(client: Client, a: ClipRef):
    return retake.regeneration_handle(client, retake.workflow_id_for(a.job_id, a.clip_index))


async def _revise(client: Client, a: ReviseArgs) -> PlanProposal:
    return await retake.revise(_clip(client, a), a.instruction)


async def _confirm(client: Client, a: ConfirmArgs) -> PlanProposal:
    return await retake.confirm(_clip(client, a), revision=a.revision)


async def _cancel(client: Client, a: ClipRef) -> PlanProposal:
    return await retake.cancel_plan(_clip(client, a))


async def _status(client: Client, a: ClipRef) -> ClipStatus:
    handle = _clip(client, a)
    try:
        desc = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return ClipStatus(workflow_id=handle.id, status="none")
        raise
    status = ClipStatus(
        workflow_id=handle.id, workflow_type=desc.workflow_type,
        status=(desc.status or WorkflowExecutionStatus.RUNNING).name.lower(),
    )
    is_regeneration = desc.workflow_type == conventions.WORKFLOW_TYPE
    if desc.status == WorkflowExecutionStatus.RUNNING:
        if is_regeneration:
            status.progress = await retake.get_progress(handle)
            status.proposal = await retake.get_proposal(handle)
    elif desc.status == WorkflowExecutionStatus.COMPLETED and is_regeneration:
        status.result = await handle.result()
    elif desc.status == WorkflowExecutionStatus.FAILED:
        try:
            await handle.result()
        except WorkflowFailureError as err:
            cause = err.cause
            status.error_type = getattr(cause, "type", None) or type(cause).__name__
            status.error_message = str(cause)
    return status


async def _versions(client: Client, a: ClipRef) -> ClipVersions:
    return await retake.list_versions(client, a.job_id, a.clip_index)


async def _revert(client: Client, a: RevertArgs) -> RevertClipResult:
    return await retake.revert_clip(client, a.job_id, a.clip_index, version=a.version)


async def _plan_batch(client: Client, a: BatchArgs) -> BatchPlan:
    inp = RegenerateClipsInput(job_id=a.job_id, clips=a.clips, instruction=a.instruction,
                               instructions=a.instructions, max_concurrent=a.max_concurrent)
    _, planned = await retake.plan_batch(client, inp)
    return planned


async def _confirm_batch(client: Client, a: JobRef) -> BatchPlan:
    return await retake.confirm_batch(retake.batch_handle(client, a.job_id))


async def _cancel_batch(client: Client, a: JobRef) -> BatchPlan:
    return await retake.cancel_batch(retake.batch_handle(client, a.job_id))


async def _batch_status(client: Client, a: JobRef) -> BatchPlan:
    return await retake.get_batch(retake.batch_handle(client, a.job_id))


async def _job_activity(client: Client, a: JobRef) -> JobActivity:
    return await job_activity(client, a.job_id)


NOTHING_PAID = "Nothing is generated or paid."
TOOLS: tuple[Tool, ...] = (
    Tool("plan", "Plan a change to one clip of a music video and show it to the user: the "
         "new prompt, seed, randomness and the cost in USD. " + NOTHING_PAID + " Then call "
         "`revise` to adjust, `confirm` (with the plan's revision) to pay, or `cancel`. "
         "Refused while the clip is already being changed.", PlanArgs, _plan),
    Tool("revise", "Adjust the clip's current plan with a follow-up instruction and return the "
         "new plan (the next revision). " + NOTHING_PAID, ReviseArgs, _revise),
    Tool("confirm", "Pay for the clip's plan: only after the user agreed to that revision and "
         "its cost. The clip is then regenerated (about a minute); follow it with `status`.",
         ConfirmArgs, _confirm),
    Tool("cancel", "Drop the clip's unconfirmed plan. " + NOTHING_PAID, ClipRef, _cancel),
    Tool("status", "Where the clip's regeneration is (stage, current plan) or how it ended "
         "(new version and video URL, or the error and what to do).", ClipRef, _status,
         read_only=True),
    Tool("versions", "List the clip's saved versions (number, current or not, instruction, "
         "prompt, cost, video URL) and its reverts.", ClipRef, _versions, read_only=True),
    Tool("revert", "Make a saved version of the clip current again. Deletes nothing and costs "
         "nothing; refused while the clip is being regenerated.", RevertArgs, _revert),
    Tool("plan_batch", "Plan a change to several clips of one job at once and show one "
         "combined plan with each clip's plan and the total cost. " + NOTHING_PAID + " Then "
         "`confirm_batch` or `cancel_batch`.", BatchArgs, _plan_batch),
    Tool("confirm_batch", "Pay for every planned clip of the job's batch, only after the user "
         "agreed to the total cost; follow it with `batch_status`.", JobRef, _confirm_batch),
    Tool("cancel_batch", "Drop the job's unconfirmed batch plan. " + NOTHING_PAID, JobRef,
         _cancel_batch),
    Tool("batch_status", "Each clip of the job's batch: its plan, state and outcome so far.",
         JobRef, _batch_status, read_only=True),
    Tool("job_activity", "Everything happening to the job, in one call: plans waiting for the "
         "user's confirmation (revision, cost, expiry), regenerations running (stage), open "
         "batches and recent outcomes. Call it first when a conversation about a job starts.",
         JobRef, _job_activity, read_only=True),
)
BY_NAME = {tool.name: tool for tool in TOOLS}


def inline_refs(schema: dict) -> dict:
    """The schema with every local $ref replaced by its definition (function-calling
    clients do not all resolve $defs)."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(copy.deepcopy(defs[node["$ref"].split("/")[-1]]))
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def openai_tools() -> list[dict]:
    """The tools in OpenAI's function-calling format (Chat Completions `tools`)."""
    return [
        {"type": "function", "function": {
            "name": t.name, "description": t.description, "parameters": t.input_schema()}}
        for t in TOOLS
    ]


async def call(client: Client, name: str, arguments: dict | None) -> BaseModel:
    """Validate the arguments against the tool's model and run it."""
    tool = BY_NAME.get(name)
    if tool is None:
        raise ToolError("UnknownTool", f"no tool {name!r}; the tools are {', '.join(BY_NAME)}")
    return await tool.handler(client, tool.args.model_validate(arguments or {}))
