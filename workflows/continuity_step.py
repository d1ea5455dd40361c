"""The regeneration's continuity step: load the neighbours' frames when asked, and the
frames a plan submits. Workflow code (deterministic); the policy is in
workflows/decisions/continuity.py, the frames are taken by activities/video/frame_activities.py.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.error_types as error_types
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
    asked, _ = asked_continuity(inp.options.continuity, inp.instruction, inp.clip_index)
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


async def check_neighbours_unchanged(inp: RegenerateClipInput, plan: Plan) -> None:
    """Before paying for a confirmed plan: its frames still come from the neighbours'
    current versions. A neighbour regenerated in between would mix an old frame with a
    new clip: refused typed (start again to join the current one), nothing paid."""
    joined = plan.continuity
    frames = [f for f in (joined.first_frame, joined.last_frame) if f] if joined else []
    neighbours = [f for f in frames if f.clip_index != inp.clip_index]
    if not neighbours:
        return
    now = await steps.load_neighbour_frames(
        NeighbourFramesRequest(
            job_id=inp.job_id,
            clip_index=inp.clip_index,
            previous=any(f.clip_index < inp.clip_index for f in neighbours),
            next=any(f.clip_index > inp.clip_index for f in neighbours),
        ),
        summary="check neighbouring frames",
    )
    current = {f.clip_index: f for f in (now.previous_last, now.next_first) if f}
    for frame in neighbours:
        fresh = current.get(frame.clip_index)
        if fresh is None or fresh.version != frame.version or fresh.sha256 != frame.sha256:
            what = f"version {fresh.version}" if fresh else "not usable any more"
            raise ApplicationError(
                f"Clip {frame.clip_index} changed after this plan was made: the plan joins its "
                f"version {frame.version}, its current one is {what}. Start the regeneration "
                "again to join the current clip; nothing was paid.",
                type=error_types.NEIGHBOUR_CHANGED,
                non_retryable=True,
            )


def frames_of(plan: Plan) -> dict:
    """The continuity fields of the submission (none for a plan without frames, so older
    requests stay as they were)."""
    joined = plan.continuity
    if joined is None or (joined.first_frame is None and joined.last_frame is None):
        return {}
    return {"first_frame": joined.first_frame, "last_frame": joined.last_frame,
            "keep": joined.keep}
