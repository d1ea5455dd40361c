"""The continuity policy (workflows/decisions/continuity.py): words, frames, lengths, references.

Pure code, tested through `finalize_plan`, the path the workflow runs.
"""

from __future__ import annotations

import random
from uuid import uuid4

import pytest

from workflows.continuity_models import FrameRef, NeighbourFrames
from workflows.decisions import finalize_plan
from workflows.decisions.continuity import read_continuity
from workflows.step_models import ClipContext, PromptSuggestion


@pytest.mark.parametrize(("instruction", "expected"), [
    ("make it flow from the clip before", "from_previous"),
    ("smooth transition into the next one", "into_next"),
    ("match the previous clip's ending", "from_previous"),
    ("make it lead into the next shot", "into_next"),
    ("make it join up with its neighbours", "both"),
    ("flow from the previous clip and into the next clip", "both"),
    ("make it brighter", "none"),
    ("make it nighttime like the next scene", "none"),
    ("don't match the previous clip, start fresh", "none"),
    # The cut it avoids, the frame it names, and a join waved away (session 6).
    ("no jump cut coming in from the shot before, please", "from_previous"),
    ("avoid a hard cut into the following scene", "into_next"),
    ("no sudden cuts at either end", "both"),
    ("its first frame should be the final frame of the preceding segment", "from_previous"),
    ("end on the opening frame of the next part", "into_next"),
    ("disregard the surrounding clips and try something wild", "none"),
    ("there's no need to connect it to the clip before", "none"),
    ("i want a hard cut, so ignore the next clip", "none"),
    # Users' spellings, a clip named by number beside "this one", a start placed at
    # another's end, and "stop trying to" (session 7).
    ("make it flow on from the previus shot", "from_previous"),
    ("seamless from whats right before it", "from_previous"),
    ("make it lead into whats next", "into_next"),
    ("the cut out of this one into clip 9 is rough", "into_next"),
    ("open exactly where the other segment finishes", "from_previous"),
    ("land where the next section begins", "into_next"),
    ("the transitions going in and coming out feel off", "both"),
    ("line it up with the shots either side of it", "both"),
    ("quit trying to match the clip before, it's a new scene", "none"),
    # The join named by this clip's ends (session 7, set 5's kinds).
    ("the cut into this shot feels abrupt", "from_previous"),
    ("the jump out of this scene is harsh", "into_next"),
    ("avoid a hard cut at the very end", "into_next"),
    ("no visible cut at the beginning", "from_previous"),
    ("she should finish in the pose that opens the next clip", "into_next"),
    ("ease into the drop shot right after this", "into_next"),
    ("it doesnt need to match the clip after, keep the hard cut", "none"),
])
def test_the_words_set_the_continuity(instruction: str, expected: str) -> None:
    assert read_continuity(instruction) == expected


def _frame(clip: int, version: int, end: str) -> FrameRef:
    return FrameRef(clip_index=clip, version=version, end=end, sha256="ab" * 32,
                    name=f"frames/c{clip}v{version}{end}.png")


FRAMES = NeighbourFrames(previous_last=_frame(1, 3, "last"), next_first=_frame(3, 2, "first"),
                         own_first=_frame(2, 5, "first"))


def _plan(instruction: str, *, continuity: str = "none", frames=FRAMES, target: float = 8.0,
          model: str = "veo-3.1-generate-001", refs: list[str] | None = None):
    context = ClipContext(job_id=uuid4(), clip_index=2, prompt="a dancer on a pier",
                          target_duration=target, scene_reference_urls=refs or [],
                          neighbour_frames=frames)
    suggestion = PromptSuggestion(prompt="a dancer on a pier", temperature=0.7,
                                  reasoning="ok.", planner="offline")
    return finalize_plan(instruction=instruction, context=context, suggestion=suggestion,
                         rng=random.Random(1), video_model=model, continuity=continuity)


def test_default_is_none_and_old_contexts_plan_as_before() -> None:
    assert _plan("make it brighter").continuity.used == "none"
    assert _plan("flow from the clip before", frames=None).continuity is None


def test_from_previous_starts_on_the_previous_last_frame_and_keeps_the_start() -> None:
    plan = _plan("make it flow from the clip before", target=5.0)
    joined = plan.continuity
    assert (joined.asked, joined.used, joined.keep) == ("from_previous", "from_previous", "start")
    assert (joined.first_frame.clip_index, joined.first_frame.version) == (1, 3)
    assert joined.last_frame is None
    assert plan.generated_seconds == 6 and plan.delivered_seconds == 5.0
    assert "clip 1 v3" in plan.reasoning


def test_into_next_keeps_its_own_start_and_cuts_from_the_start() -> None:
    joined = _plan("x", continuity="into_next", target=6.0).continuity
    assert joined.first_frame.clip_index == 2 and joined.last_frame.clip_index == 3
    assert joined.keep == "end"


def test_both_at_a_short_slot_says_it_cannot_keep_both_ends() -> None:
    plan = _plan("x", continuity="both", target=5.0)
    assert plan.continuity.used == "both" and plan.generated_seconds == 8
    assert "cannot keep both" in plan.reasoning


def test_both_at_eight_seconds_needs_no_cut() -> None:
    plan = _plan("x", continuity="both", target=8.0)
    assert plan.cut_to_seconds() is None


def test_frames_win_over_reference_images_and_the_plan_says_so() -> None:
    plan = _plan("x", continuity="from_previous", refs=["scene.png"])
    assert plan.reference_image_urls == [] and plan.continuity.references_dropped
    assert "reference images not sent" in plan.reasoning


def test_the_first_clip_has_no_previous_and_the_plan_says_so() -> None:
    frames = NeighbourFrames(next_first=_frame(1, 1, "first"), own_first=_frame(0, 1, "first"),
                             missing=["clip 0 is the first clip: no previous clip"])
    plan = _plan("x", continuity="both", frames=frames)
    assert plan.continuity.used == "into_next"
    assert "first clip" in plan.reasoning


def test_the_fast_model_takes_no_frames() -> None:
    plan = _plan("x", continuity="both", model="veo-3.1-fast-generate-001")
    assert plan.continuity.used == "none" and "takes no first or last frame" in plan.reasoning


def test_a_join_made_in_frames_is_not_listed_as_unapplied_and_one_not_made_is() -> None:
    """The frames apply a continuity request: telling the user it was not applied would
    be false; a request no frame can meet (no next clip, or no frames read) is listed."""
    joined = _plan("make the transition into the next clip smoother please")
    assert joined.continuity.used == "into_next" and joined.unapplied == []
    with_more = _plan("make it flow from the clip before and add fog")
    assert [p.text for p in with_more.unapplied] == ["add fog"]  # the fake planner added none
    no_next = NeighbourFrames(previous_last=_frame(1, 3, "last"), next_first=None,
                              own_first=_frame(2, 5, "first"))
    alone = _plan("make it flow into the next clip", frames=no_next)
    assert alone.continuity.used == "none"
    assert [(p.text, p.reason) for p in alone.unapplied] == [
        ("make it flow into the next clip", "not_expressed")]
    unread = _plan("make it flow into the next clip", frames=None)
    assert [p.reason for p in unread.unapplied] == ["not_expressed"]


@pytest.mark.parametrize(("instruction", "clip", "expected"), [
    ("make it flow out of clip 3", 4, "from_previous"),
    ("blend the end into clip 6 so the transition is invisible", 5, "into_next"),
    ("pick up where clip 2 ends and finish where clip 4 starts", 3, "both"),
    ("make it flow out of clip 1", 4, "none"),  # not a neighbour: frames join neighbours only
    ("make clip 3 nighttime", 3, "none"),
])
def test_a_neighbour_named_by_its_number(instruction: str, clip: int, expected: str) -> None:
    assert read_continuity(instruction, clip) == expected

