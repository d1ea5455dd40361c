"""A clip's versions through Temporal: list them (read-only), and revert to one.

ListClipVersionsWorkflow is a read through the worker, which owns the database, so the
chatbot's client stays light (temporalio + pydantic) and needs no database access; it
runs one local activity and its history is a handful of events.

RevertClipWorkflow runs on the clip's own workflow id (`regenerate-{job}-{clip}`), the
id every regeneration of that clip uses: the server refuses to start it while the clip
is being regenerated, and a regeneration while it runs, so the two never race.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.patches as patches
    from activities.job_store.version_activities import ClipVersionActivities
    from workflows import error_types
    from workflows.regenerate_clip import _local_step, typed_failure
    from workflows.step_models import RevertRequest
    from workflows.version_models import (
        ClipVersions,
        ClipVersionsInput,
        RevertClipInput,
        RevertClipResult,
    )


@workflow.defn
class ListClipVersionsWorkflow:
    @workflow.run
    async def run(self, inp: ClipVersionsInput) -> ClipVersions:
        patches.decide_first(patches.VERSIONS)  # why: workflows/patches.py
        try:
            return await _local_step(
                ClipVersionActivities.list_clip_versions,
                inp,
                summary="list versions",
                timeout=timedelta(seconds=30),
            )
        except ActivityError as err:
            raise typed_failure(err) from err


@workflow.defn
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
        try:
            result = await _local_step(
                ClipVersionActivities.revert_clip_version,
                RevertRequest(
                    job_id=inp.job_id,
                    clip_index=inp.clip_index,
                    version=inp.version,
                    revert_id=f"{info.workflow_id}/{info.run_id}",
                ),
                summary=f"make version {inp.version} current",
                timeout=timedelta(seconds=30),
            )
        except ActivityError as err:
            raise typed_failure(err) from err
        workflow.set_current_details(
            f"**reverted**: version {result.version} of clip {inp.clip_index} is current "
            f"(was {result.previous_version or '-'})"
        )
        return result
