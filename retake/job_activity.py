"""Everything happening to one job, in one call: plans waiting for a yes, regenerations
running and at which stage, batches, and how recent regenerations ended.

A chatbot opening a conversation about a job needs this before it says anything
("clip 3's plan is still waiting for you"). It reads Temporal only: the visibility
API finds the job's runs by the JobId search attribute every run carries
(workflows/conventions.py), and the workflows' own queries say where each open one is.
Nothing is started or paid. Light like retake.client: temporalio and pydantic only.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field
from temporalio.client import (
    Client,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)

from retake import client as retake
from workflows import conventions
from workflows.batch_models import BatchPlan
from workflows.models import PlanProposal, Progress, RegenerateClipResult

RECENT = 10  # closed regenerations reported, newest first


class PendingPlan(BaseModel):
    """A confirm-first plan waiting for confirm, revise or cancel (nothing paid yet)."""

    workflow_id: str
    clip_index: int
    proposal: PlanProposal  # its revision, instructions, plan, cost and expires_at


class RunningRegeneration(BaseModel):
    workflow_id: str
    clip_index: int
    started_at: datetime | None = None
    progress: Progress  # stage, detail, elapsed, polls


class RecentOutcome(BaseModel):
    """How a closed regeneration ended: its result, or its error type and message."""

    workflow_id: str
    clip_index: int
    status: str  # completed, failed, cancelled, terminated, timed_out
    closed_at: datetime | None = None
    result: RegenerateClipResult | None = None
    error_type: str | None = None
    error_message: str | None = None


class JobActivity(BaseModel):
    job_id: UUID
    pending_plans: list[PendingPlan] = Field(default_factory=list)
    running: list[RunningRegeneration] = Field(default_factory=list)
    batches: list[BatchPlan] = Field(default_factory=list)  # open batches of the job
    recent: list[RecentOutcome] = Field(default_factory=list)  # newest first, at most RECENT


def _clip_of(run: WorkflowExecution) -> int:
    """From the id, regenerate-{job_id}-{clip_index}, which the workflow enforces."""
    return int(run.id.rsplit("-", 1)[1])


async def _open_regeneration(client: Client, run: WorkflowExecution, found: JobActivity) -> None:
    handle = retake.regeneration_handle(client, run.id)
    proposal, progress = await asyncio.gather(retake.get_proposal(handle),
                                              retake.get_progress(handle))
    clip = _clip_of(run)
    if proposal is not None and proposal.state in ("awaiting_confirmation", "revising"):
        found.pending_plans.append(PendingPlan(workflow_id=run.id, clip_index=clip,
                                               proposal=proposal))
    else:
        found.running.append(RunningRegeneration(workflow_id=run.id, clip_index=clip,
                                                 started_at=run.start_time, progress=progress))


async def _closed_regeneration(client: Client, run: WorkflowExecution) -> RecentOutcome:
    status = (run.status or WorkflowExecutionStatus.COMPLETED).name.lower()
    outcome = RecentOutcome(workflow_id=run.id, clip_index=_clip_of(run), status=status,
                            closed_at=run.close_time)
    handle = client.get_workflow_handle(run.id, run_id=run.run_id,
                                        result_type=RegenerateClipResult)
    if run.status == WorkflowExecutionStatus.COMPLETED:
        outcome.result = await handle.result()
    elif run.status == WorkflowExecutionStatus.FAILED:
        try:
            await handle.result()
        except WorkflowFailureError as err:
            outcome.error_type = getattr(err.cause, "type", None) or type(err.cause).__name__
            outcome.error_message = str(err.cause)
    return outcome


async def job_activity(client: Client, job_id: UUID | str, *, recent: int = RECENT) -> JobActivity:
    """One job's pending plans, running regenerations, open batches and recent outcomes."""
    job = UUID(str(job_id))
    found = JobActivity(job_id=job)
    runs = [run async for run in client.list_workflows(f'JobId = "{job}"')]
    regenerations = [r for r in runs if r.workflow_type == conventions.WORKFLOW_TYPE]
    running = [r for r in regenerations if r.status == WorkflowExecutionStatus.RUNNING]
    closed = sorted((r for r in regenerations if r.status != WorkflowExecutionStatus.RUNNING),
                    key=lambda r: r.close_time or r.start_time, reverse=True)[:recent]
    batches = [r for r in runs if r.workflow_type == conventions.BATCH_WORKFLOW_TYPE
               and r.status == WorkflowExecutionStatus.RUNNING]
    await asyncio.gather(*(_open_regeneration(client, r, found) for r in running))
    found.recent = list(await asyncio.gather(*(_closed_regeneration(client, r) for r in closed)))
    found.batches = list(await asyncio.gather(
        *(retake.get_batch(retake.batch_handle(client, job)) for _ in batches[:1])))
    found.pending_plans.sort(key=lambda p: p.clip_index)
    found.running.sort(key=lambda r: r.clip_index)
    return found
