"""A clip's versions through Temporal: list them (read-only), and revert to one.

ListClipVersionsWorkflow is a read through the worker, which owns the database, so the
chatbot's client stays light (temporalio + pydantic) and needs no database access; it
runs one local activity and its history is a handful of events.

RevertClipWorkflow runs on the clip's own workflow id (`regenerate-{job}-{clip}`), the
id every regeneration of that clip uses: the server refuses to start it while the clip
is being regenerated, and a regeneration while it runs, so the two never race.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.conventions as conventions
    import workflows.patches as patches
    import workflows.steps as steps
    from activities.job_store.version_activities import ClipVersionActivities
    from workflows import error_types
    from workflows.step_models import RevertRequest
    from workflows.step_options import DATABASE_STEP
    from workflows.version_models import (
        ClipVersions,
        ClipVersionsInput,
        RevertClipInput,
        RevertClipResult,
    )


@workflow.defn(name=conventions.LIST_VERSIONS_WORKFLOW_TYPE)
class ListClipVersionsWorkflow:
    @workflow.run
    async def run(self, inp: ClipVersionsInput) -> ClipVersions:
        patches.decide_first(patches.VERSIONS)  # why: workflows/patches.py
        return await steps.local_step(
            ClipVersionActivities.list_clip_versions,
            inp,
            summary="list versions",
            timeout=DATABASE_STEP,
        )


@workflow.defn(name=conventions.REVERT_WORKFLOW_TYPE)
class RevertClipWorkflow:
    @workflow.run
    async def run(self, inp: RevertClipInput) -> RevertClipResult:
        patches.decide_first(patches.VERSIONS)  # why: workflows/patches.py
        if inp.clip_index < 0 or inp.version < 1:
            raise ApplicationError(
                f"Invalid revert: clip_index must be 0 or more and version 1 or more "
                f"(got clip {inp.clip_index}, version {inp.version}).",
                type=error_types.INVALID_INPUT,
                non_retryable=True,
            )
        workflow.set_current_details(f"**reverting**: clip {inp.clip_index} to version {inp.version}")
        info = workflow.info()
        result = await steps.local_step(
            ClipVersionActivities.revert_clip_version,
            RevertRequest(
                job_id=inp.job_id,
                clip_index=inp.clip_index,
                version=inp.version,
                revert_id=f"{info.workflow_id}/{info.run_id}",
            ),
            summary=f"make version {inp.version} current",
            timeout=DATABASE_STEP,
        )
        workflow.set_current_details(
            f"**reverted**: version {result.version} of clip {inp.clip_index} is current "
            f"(was {result.previous_version or '-'})"
        )
        return result
