"""The regeneration's continuity step: load the neighbours' frames when asked, and the
frames a plan submits. Workflow code (deterministic); the policy is in
workflows/decisions/continuity.py, the frames are taken by activities/video/frame_activities.py.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.patches as patches
    import workflows.steps as steps
    from workflows.continuity_models import NeighbourFramesRequest
    from workflows.decisions.continuity import asked_continuity
    from workflows.models import RegenerateClipInput
    from workflows.step_models import ClipContext, Plan


async def with_neighbour_frames(
    inp: RegenerateClipInput, context: ClipContext, set_stage: Callable[[str, str], None]
) -> ClipContext:
    """The context with the neighbours' frames when continuity is asked; unchanged
    otherwise, and in runs recorded before continuity (patches.CONTINUITY)."""
    if not patches.applies(patches.CONTINUITY):
        return context
    asked, _ = asked_continuity(inp.options.continuity, inp.instruction)
    if asked == "none":
        return context
    set_stage("loading", f"taking the neighbouring frames ({asked})")
    frames = await steps.load_neighbour_frames(
        NeighbourFramesRequest(
            job_id=inp.job_id,
            clip_index=inp.clip_index,
            previous=asked in ("from_previous", "both"),
            next=asked in ("into_next", "both"),
            own=asked == "into_next",
        ),
        summary="load neighbouring frames",
    )
    return context.model_copy(update={"neighbour_frames": frames})


def frames_of(plan: Plan) -> dict:
    """The continuity fields of the submission (none for a plan without frames, so older
    requests stay as they were)."""
    joined = plan.continuity
    if joined is None or (joined.first_frame is None and joined.last_frame is None):
        return {}
    return {"first_frame": joined.first_frame, "last_frame": joined.last_frame,
            "keep": joined.keep}
