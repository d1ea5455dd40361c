"""The continuity policy's edges that a mutation run of workflows/decisions/continuity.py
found untested (issue 35, session 7): what Vertex refuses about frames, the notes a plan
carries, why a continuity was chosen, and clips named by number."""

from __future__ import annotations

from workflows.continuity_models import FrameRef, NeighbourFrames
from workflows.decisions.continuity import (
    FRAME_MODELS,
    asked_continuity,
    frame_problems,
    plan_continuity,
    read_continuity,
    without_continuity_words,
)
from workflows.decisions.veo_models import model_for

QUALITY, FAST = FRAME_MODELS[0], "veo-3.1-fast-generate-001"


def _frame(clip: int, version: int, end: str) -> FrameRef:
    return FrameRef(clip_index=clip, version=version, end=end, sha256="cd" * 32,
                    name=f"frames/c{clip}v{version}{end}.png")


FRAMES = NeighbourFrames(previous_last=_frame(1, 3, "last"), next_first=_frame(3, 2, "first"),
                         own_first=_frame(2, 5, "first"))


def test_what_vertex_refuses_about_frames_each_alone():
    assert frame_problems(QUALITY, 8, first=True, last=True, references=False) == []
    assert frame_problems(QUALITY, 6, first=True, last=False, references=False) == []
    assert frame_problems(QUALITY, 8, first=False, last=False, references=True) == []
    assert frame_problems(FAST, 8, first=False, last=False, references=True) == []
    assert frame_problems(QUALITY, 8, first=False, last=True, references=False) == [
        "lastFrame can only be sent with a first frame (image)"]
    assert frame_problems(QUALITY, 8, first=False, last=True, references=True) == [
        "lastFrame can only be sent with a first frame (image)",
        "first/last frames cannot be sent with reference images"]
    assert frame_problems(QUALITY, 8, first=True, last=False, references=True) == [
        "first/last frames cannot be sent with reference images"]
    assert frame_problems(FAST, 6, first=True, last=False, references=False) == [
        f"{FAST} takes no first or last frame (use {QUALITY})"]
    assert frame_problems(QUALITY, 6, first=True, last=True, references=False) == [
        "lastFrame needs durationSeconds in (8,)"]


def test_why_a_continuity_was_chosen():
    assert asked_continuity("both", "make it brighter") == (
        "both", "continuity both (options.continuity)")
    assert asked_continuity("none", "flow from the clip before") == (
        "from_previous", "continuity from_previous (asked in the instruction)")
    assert asked_continuity("none", "make it brighter") == ("none", "")


def _plan(asked, frames=FRAMES, target=8.0, model=QUALITY, refs=False):
    return plan_continuity(asked, frames, model=model_for(model), target_seconds=target,
                           has_references=refs)


def test_nothing_asked_plans_nothing():
    plan, durations = _plan("none")
    assert plan.used == "none" and durations is None and not plan.note


def test_the_fast_model_note_names_the_model_to_use():
    plan, durations = _plan("both", model=FAST)
    assert durations is None
    assert plan.note == (f"continuity both not used: {FAST} takes no first or last frame here "
                         f"(use {QUALITY})")


def test_no_frame_at_all_says_so():
    plan, durations = _plan("from_previous", frames=NeighbourFrames())
    assert plan.used == "none" and durations is None
    assert plan.note == "continuity from_previous not used: no neighbouring frame"


def test_a_short_slot_with_both_ends_says_how_much_is_cut():
    plan, durations = _plan("both", target=5.0)
    assert durations == (8,) and plan.keep == "start"
    assert "a 5 s slot cannot keep both joined ends of a 8 s video" in plan.note
    assert "the last 3 s leading into the next clip are cut" in plan.note
    assert "cannot keep both" not in _plan("both", target=8.0)[0].note
    assert "cannot keep both" not in _plan("from_previous", target=5.0)[0].note
    assert "cannot keep both" not in _plan("both", target=0.0)[0].note  # no slot: no cut


def test_the_join_into_the_next_clip_keeps_the_end():
    assert _plan("into_next", target=5.0)[0].keep == "end"
    assert _plan("from_previous", target=5.0)[0].keep == "start"


def test_the_previous_clips_frame_counts_as_a_join_only_when_it_is_that_frame():
    """into_next starts on this clip's own first frame: a join into the next only."""
    own = NeighbourFrames(next_first=_frame(3, 2, "first"), own_first=_frame(2, 5, "first"))
    assert _plan("into_next", frames=own)[0].used == "into_next"
    alike = NeighbourFrames(previous_last=_frame(2, 5, "first"), next_first=_frame(3, 2, "first"),
                            own_first=_frame(2, 5, "first"))
    assert _plan("into_next", frames=alike)[0].used == "into_next"


def test_a_clip_named_by_number_is_read_in_the_requests_own_numbering():
    assert read_continuity("flow out of clip 3", 4) == "from_previous"
    assert read_continuity("lead into clip 5", 4) == "into_next"
    assert read_continuity("flow out of clip 2", 4) == "none"  # not a neighbour
    rest = without_continuity_words("flow out of clip 3 and add fog", 4)
    assert "clip" not in rest and rest.endswith("add fog")
    assert without_continuity_words("like clip 7, add fog", 4) == "like clip 7, add fog"


def test_values_decoded_at_run_time_compare_by_value():
    """A continuity that came from JSON is an equal string, not the same object."""
    decoded_none = "".join(["no", "ne"])
    assert asked_continuity(decoded_none, "flow from the clip before")[0] == "from_previous"
    plan, durations = _plan(decoded_none)
    assert plan.used == "none" and durations is None and plan.note == ""


def test_neighbours_by_number_beyond_small_clip_indexes():
    assert read_continuity("flow out of clip 399", 400) == "from_previous"
    assert read_continuity("lead into clip 401", 400) == "into_next"
    assert read_continuity("lead into clip 6", 5) == "into_next"
    assert read_continuity("lead into clip 2", 4) == "none"  # not a neighbour
    for instruction, clip in (("flow out of clip 3 and add fog", 4),
                              ("lead into clip 5 and add fog", 4)):
        rest = without_continuity_words(instruction, clip)
        assert not any(ch.isdigit() for ch in rest) and rest.endswith("add fog")


def test_how_much_a_short_slot_cuts_at_every_length():
    assert "the last 5 s leading into the next clip are cut" in _plan("both", target=3.0)[0].note
    assert "a 0.5 s slot cannot keep both" in _plan("both", target=0.5)[0].note
    assert "cannot keep both" not in _plan("both", target=10.0)[0].note  # longer than made
