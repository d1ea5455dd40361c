"""Continuity with the neighbouring clips: which frames a plan joins to, and at what cost.

A regenerated clip that starts and ends somewhere unrelated to its neighbours shows a
jump cut at both ends. Veo 3.1 can start from a given first frame (`image`) and end on a
given last frame (`lastFrame`, only together with `image`), but neither with
`referenceImages` ([INST] VideoGenerationModelInstance). The policy, pure and replayable:

- What is asked: `options.continuity` when not "none"; otherwise the instruction's words
  ("flow from the clip before" -> from_previous, "into the next one" -> into_next, both
  kinds or "its neighbours" -> both). A negated phrase ("don't match the next clip")
  asks nothing.
- Frames win over reference images: the join was asked for this regeneration, the
  references are the job's standing look; the plan says they were not sent.
- into_next needs a first frame too (lastFrame needs image): the clip's own current first
  frame, so its start is kept and its end joins the next clip.
- Only veo-3.1-generate-001 takes frames here: Google's first/last-frame sample runs on
  it; the pages are silent on the Fast model, so the stricter reading refuses it there.
- Lengths: with a first frame only, any length the model takes (the cut keeps the start);
  with a last frame, 8 s only (the pages state no length for lastFrame: stricter reading).
  A cut keeps the joined end: the start with a first frame only, the end with into_next;
  with both, a slot shorter than 8 s cannot keep both ends: the start is kept and the
  plan says how much of the join into the next clip is cut away.
"""

from __future__ import annotations

import re

from workflows.continuity_models import Continuity, ContinuityPlan, NeighbourFrames
from workflows.decisions.phrases import is_negated, normalise
from workflows.decisions.veo_models import VeoModel, shortest_duration

FRAME_MODELS = ("veo-3.1-generate-001",)  # Google's tested first/last-frame sample
LAST_FRAME_DURATIONS = (8,)  # stricter reading: no page states other lengths for lastFrame

_CLIP = r"(?:clip|shot|scene|one|video|part|segment|section|cut|bit)"
# Users' own spellings too: "prev", "previus", "befor", "b4", "nxt".
_BEFORE_WORD = r"(?:before|befor|b4)"
_BEFORE = (
    rf"(?:previous|previus|prev|prior|preceding|preceeding|proceeding|last|earlier)\s+{_CLIP}"
    rf"|{_CLIP}\s+(?:{_BEFORE_WORD}(?:\s+(?:it|this(?:\s+one)?))?|that\s+(?:comes|came)\s+"
    rf"{_BEFORE_WORD}|prior)"
    rf"|(?:the\s+)?one\s+{_BEFORE_WORD}"
    rf"|what(?:ever)?(?:'s|s)?\s+(?:(?:comes|came|is|plays)\s+)?(?:right\s+|just\s+|directly\s+"
    rf"|immediately\s+)?{_BEFORE_WORD}(?:\s+(?:it|this(?:\s+one)?))?"
)
_ENDS = r"(?:ends?|ended|left\s+off|leaves?\s+off|stops?|finish(?:es|ed)?(?:\s+on)?|wraps?\s+up)"
_AFTER = (
    rf"(?:next|nxt|following|upcoming|subsequent)\s+{_CLIP}"
    rf"|{_CLIP}\s+(?:after(?:\s+(?:it|this(?:\s+one)?))?|that\s+(?:comes|follows)(?:\s+after)?)"
    r"|(?:the\s+)?one\s+after|what(?:ever)?\s+(?:comes|follows)(?:\s+(?:after|next)(?:\s+it)?)?"
    r"|what(?:ever)?(?:'s|s)\s+(?:right\s+|just\s+)?(?:after|next)(?:\s+(?:it|this(?:\s+one)?))?"
)
# "matches up smoothly with", "lines up with", "ties in to"
_UP_WITH = (r"(?:match(?:es|ing)?|lines?|join(?:s)?|connects?|ties?)\s+(?:up|in)\s+(?:\w+ly\s+)?"
            r"(?:with|to)")
# "no jump cut", "no hard cut": asking for a join, said as the cut it avoids.
_NO_CUT = (r"\b(?:no|without|avoid(?:ing)?|don't\s+want)\s+(?:a\s+|any\s+)?(?:hard\s+|jump\s+"
           r"|abrupt\s+|harsh\s+|visible\s+|sudden\s+)?cuts?")
# "begin where segment 4 leaves off", "finish where clip 4 starts": this clip's start (or
# end) placed at another's end (or start), whichever clip is named.
_THIS_STARTS = r"(?:begin|begins|start|starts|open|opens|pick\s+up|picks\s+up|kick\s+off)"
_THIS_ENDS = r"(?:end|ends|finish|finishes|wrap\s+up|close|closes|land|lands)"
_NAMED = r"(?:the\s+)?(?:\w+\s+){0,2}?"
_THIS = r"this(?:\s+(?:one|clip|shot|scene|segment|part|section))?"
# "the transition into this clip", "no jump cut at the start": the join by this clip's end.
_JOIN = r"(?:transitions?|transiton|cuts?|joins?|seams?|jumps?|edits?|changes?)"
FROM_PREVIOUS_RE = re.compile(
    rf"\b{_JOIN}\s+(?:in)?to\s+{_THIS}\b(?!\s+(?:in)?to\b)"
    rf"|{_NO_CUT}\s+(?:at|in|on)\s+the\s+(?:very\s+)?(?:start|beginning|begining|opening)\b|"
    rf"\b{_THIS_STARTS}\s+(?:right\s+|exactly\s+)?where\s+{_NAMED}(?:{_CLIP}\s+\d+|{_CLIP})\s+"
    rf"{_ENDS}\b"
    rf"|\b(?:from|out\s+of)\s+{_CLIP}\s+\d+\s+(?:in)?to\s+{_THIS}\b"
    rf"|\b(?:start|beginning|opening)\s+(?:of\s+{_THIS}\s+)?(?:flow\w*\s+|blend\w*\s+)?"
    rf"(?:out\s+of|from)\s+{_CLIP}\s+\d+\b|"
    rf"\b(?:from|after|off|out\s+of|on\s+from|with|to|match(?:es|ing)?|continu\w*(?:\s+of)?"
    rf"|follow\w*|{_UP_WITH})\s+(?:the\s+(?:end\s+of\s+(?:the\s+)?)?)?(?:{_BEFORE})\b"
    r"|\b(?:pick(?:s|ing)?\s+up|carr(?:y|ies)\s+on)\s+(?:\w+\s+)?(?:from\s+)?where\b"
    rf"|\b(?:{_BEFORE})\b[^.;]*\b{_ENDS}\b"
    rf"|\b(?:last|final|closing|end(?:ing)?)\s+(?:frame|shot|moment)s?\s+of\s+(?:the\s+)?"
    rf"(?:{_BEFORE})\b"
    rf"|{_NO_CUT}\s+(?:coming\s+in\s+)?(?:from|out\s+of|after)\s+(?:the\s+)?(?:{_BEFORE})\b"
)
INTO_NEXT_RE = re.compile(
    rf"\b{_JOIN}\s+(?:out\s+of|from)\s+{_THIS}\b(?!\s+(?:in)?to\s+(?:the\s+)?(?:{_BEFORE}))"
    rf"|{_NO_CUT}\s+(?:at|in|on)\s+the\s+(?:very\s+)?(?:end|ending|finish|close)\b"
    rf"|\b(?:starts?|begins?|opens?)\s+(?:the\s+)?(?:{_AFTER})\b"
    rf"|\b(?:into|to|towards?)\s+(?:the\s+)?(?:[a-z]+\s+)?{_CLIP}\s+(?:right\s+|just\s+|directly\s+"
    r"|immediately\s+)?(?:after|following)\s+(?:it|this)\b|"
    rf"\b{_THIS_ENDS}\s+(?:right\s+|exactly\s+)?where\s+{_NAMED}(?:{_CLIP}\s+\d+|{_CLIP})\s+"
    r"(?:starts?|begins?|opens?|picks\s+up)\b"
    rf"|\b(?:from|out\s+of)\s+{_THIS}\s+(?:in)?to\s+{_CLIP}\s+\d+\b"
    rf"|\b(?:end|ending|last\s+(?:frame|bit|second)s?)\s+(?:of\s+{_THIS}\s+)?(?:flow\w*\s+|blend\w*\s+"
    rf"|lead\w*\s+)?(?:in)?to\s+{_CLIP}\s+\d+\b|"
    rf"\b(?:into|to|toward(?:s)?|with|before|match(?:es|ing)?|lead(?:s|ing)?\s+(?:in)?to|sets?\s+up"
    rf"|{_UP_WITH})"
    rf"\s+(?:the\s+(?:start\s+of\s+(?:the\s+)?|beginning\s+of\s+(?:the\s+)?)?)?(?:{_AFTER})\b"
    rf"|\b(?:{_AFTER})\b[^.;]*\b(?:starts?|begins?|opens?)\b"
    rf"|\b(?:next|following)\s+(?:{_CLIP}\s+)?(?:starts|begins|opens)\b"
    rf"|\b(?:first|opening|starting)\s+(?:frame|shot|moment)s?\s+of\s+(?:the\s+)?"
    rf"(?:{_AFTER})\b"
    rf"|\b(?:opening|start|beginning|begining|beggining)\s+of\s+(?:the\s+)?(?:{_AFTER})\b"
    rf"|\bset(?:s|ting)?\s+(?:it\s+|this(?:\s+one)?\s+)?up\s+for\s+(?:the\s+)?(?:{_AFTER})\b"
    rf"|{_NO_CUT}\s+(?:going\s+)?(?:into|to|before)\s+(?:the\s+)?(?:{_AFTER})\b"
)
BOTH_RE = re.compile(
    r"\b(?:neighbou?r(?:ing|s)?|surrounding\s+(?:clips|shots|scenes)"
    r"|(?:clips?|ones|shots|scenes)\s+(?:around|either\s+side\s+of|on\s+either\s+side\s+of)\s+(?:it|this)"
    r"|(?:both|either)\s+(?:ends?|sides?)|(?:before\s+and\s+after"
    r"|(?:previous|prior|preceding)\s+and\s+(?:the\s+)?(?:next|following))"
    r"|adjacent\s+(?:clips|shots|scenes)"
    r"|(?:transit\w*|cuts?|flows?)\s+(?:going\s+)?in(?:to\s+it)?\s+and\s+(?:coming\s+)?out"
    r"|(?:going|coming|flowing)\s+in\s+and\s+(?:coming|going|flowing)\s+out|between\s+(?:clip|shot|scene)\s+\d+\s+and\s+"
    r"(?:clip|shot|scene)\s+\d+"
    r"|(?:clip|shot|scene|one)\s+before\s+and\s+(?:the\s+(?:clip|shot|scene|one)\s+)?after)\b"
    rf"|{_NO_CUT}\s+(?:on|at)\s+(?:either|both)\s+(?:ends?|sides?)\b"
)
# "ignore the neighbouring clips", "no need to connect it to the clips around it": these
# ask for no join, further before the words than a plain "not".
_UNWANTED = re.compile(
    r"\b(?:ignore|forget(?:\s+about)?|disregard|no\s+need\s+(?:to|for)|(?:stop|quit)\s+trying\s+to"
    r"|(?:don't|do\s+not|doesn't"
    r"|does\s+not)\s+(?:need|have)\s+to|never\s+mind)\b[^,;.]*$"
)


_NUMBERED = re.compile(r"\b(clip|shot|scene|segment|part|section)\s+#?(\d{1,4})\b")


def _neighbours_named(text: str, clip_index: int | None) -> str:
    """'out of clip 3' for clip 4 reads as 'out of the previous clip' ('into clip 5' as
    the next): a neighbour named by its number, in the numbering the request uses for
    this clip. Any other number is left alone (joining is only with neighbours)."""
    if clip_index is None:
        return text

    def name(match: re.Match[str]) -> str:
        n = int(match[2])
        if n == clip_index - 1:
            return f"previous {match[1]}"
        if n == clip_index + 1:
            return f"next {match[1]}"
        return match[0]

    return _NUMBERED.sub(name, text)


def read_continuity(instruction: str, clip_index: int | None = None) -> Continuity:
    """The continuity an instruction asks for in words ("none" when it asks for none);
    with `clip_index`, a neighbour may be named by its number."""
    text = _neighbours_named(normalise(instruction), clip_index)
    if _wanted(BOTH_RE, text):
        return "both"
    previous = _wanted(FROM_PREVIOUS_RE, text)
    following = _wanted(INTO_NEXT_RE, text)
    if previous and following:
        return "both"
    if previous:
        return "from_previous"
    return "into_next" if following else "none"


def asked_continuity(option: Continuity, instruction: str,
                     clip_index: int | None = None) -> tuple[Continuity, str]:
    """What the caller asked: the option when set, else the words; and why."""
    if option != "none":
        return option, f"continuity {option} (options.continuity)"
    read = read_continuity(instruction, clip_index)
    return read, (f"continuity {read} (asked in the instruction)" if read != "none" else "")


def plan_continuity(
    asked: Continuity,
    frames: NeighbourFrames | None,
    *,
    model: VeoModel,
    target_seconds: float,
    has_references: bool,
) -> tuple[ContinuityPlan, tuple[int, ...] | None]:
    """The frames the plan joins to, and the lengths it may generate (None: unchanged)."""
    if asked == "none":
        return ContinuityPlan(), None
    if model.model_id not in FRAME_MODELS:
        return ContinuityPlan(asked=asked, note=(
            f"continuity {asked} not used: {model.model_id} takes no first or last frame "
            f"here (use {FRAME_MODELS[0]})")), None
    frames = frames or NeighbourFrames(missing=["the neighbouring frames were not loaded"])
    notes = list(frames.missing)
    first = frames.previous_last if asked in ("from_previous", "both") else None
    last = frames.next_first if asked in ("into_next", "both") else None
    if last is not None and first is None:
        first = frames.own_first  # lastFrame needs image: keep this clip's own start
        if first is None:
            notes.append("the next clip's first frame needs a first frame too, and this "
                         "clip has no current video to take it from")
            last = None
    used = _used(first is not None and first is frames.previous_last, last is not None)
    if used == "none":
        return ContinuityPlan(asked=asked, note=f"continuity {asked} not used: "
                              + "; ".join(notes or ["no neighbouring frame"])), None
    durations = LAST_FRAME_DURATIONS if last is not None else model.durations
    generated = shortest_duration(durations, target_seconds)
    keep = "end" if used == "into_next" else "start"
    if used == "both" and 0 < target_seconds < generated:
        notes.append(f"a {target_seconds:g} s slot cannot keep both joined ends of a "
                     f"{generated} s video (lastFrame only at {generated} s): the start is "
                     f"kept, the last {generated - target_seconds:g} s leading into the next "
                     "clip are cut")
    if has_references:
        notes.append("reference images not sent: Veo takes first/last frames or reference "
                     "images, not both, and the join was asked for")
    joined = [f"starts on clip {first.clip_index} v{first.version}'s {first.end} frame"] if first else []
    if last:
        joined.append(f"ends on clip {last.clip_index} v{last.version}'s first frame")
    note = f"continuity {used}: " + ", ".join(joined) + ("; " + "; ".join(notes) if notes else "")
    return ContinuityPlan(asked=asked, used=used, first_frame=first, last_frame=last,
                          keep=keep, references_dropped=has_references, note=note), durations


def _wanted(pattern: re.Pattern[str], text: str) -> bool:
    """A match neither negated nearby ("don't match") nor waved away ("ignore the ...")."""
    for match in pattern.finditer(text):
        if not is_negated(text, match.start()) and not _UNWANTED.search(text[: match.start()]):
            return True
    return False


def _used(from_previous: bool, into_next: bool) -> Continuity:
    if from_previous and into_next:
        return "both"
    if from_previous:
        return "from_previous"
    return "into_next" if into_next else "none"


def frame_problems(model_id: str, duration_seconds: int, first: bool, last: bool,
                   references: bool) -> list[str]:
    """What Vertex AI would refuse about a request's frames (the preview backend refuses
    the same; the strict emulator's `frames.*` rules)."""
    found = []
    if last and not first:
        found.append("lastFrame can only be sent with a first frame (image)")
    if (first or last) and references:
        found.append("first/last frames cannot be sent with reference images")
    if (first or last) and model_id not in FRAME_MODELS:
        found.append(f"{model_id} takes no first or last frame (use {FRAME_MODELS[0]})")
    if last and duration_seconds not in LAST_FRAME_DURATIONS:
        found.append(f"lastFrame needs durationSeconds in {LAST_FRAME_DURATIONS}")
    return found


_JOIN_WORDS = frozenset(
    "make it its this clip shot scene flow flows flowing smooth smoother smoothly seamless "
    "seamlessly transition transitions lead leads join joins joined up match matches blend "
    "blends connect connects continue continues and with so that please the a an nicely "
    "better more naturally cut cuts also just only neighbours neighbors both ends sides "
    "into from to".split()
)
KEEP_AS_IS = "keep everything the same"  # what a request for continuity alone asks of the prompt


def without_continuity_words(instruction: str, clip_index: int | None = None) -> str:
    """The instruction the planner rewrites the prompt from: its continuity phrases taken
    out (they are decided here, in frames, not written into the prompt); a request for
    continuity alone keeps the prompt ("keep everything the same")."""
    text = _neighbours_named(normalise(instruction), clip_index)
    for pattern in (BOTH_RE, FROM_PREVIOUS_RE, INTO_NEXT_RE):
        text = pattern.sub(" ", text)
    words = re.findall(r"[a-z0-9']+", text)
    if all(word in _JOIN_WORDS for word in words):
        return KEEP_AS_IS
    return re.sub(r"\s+", " ", text).strip(" ,;.")
