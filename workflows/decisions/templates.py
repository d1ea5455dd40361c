"""The six templates that skip the LLM call: brighter, darker, nighttime, daytime,
more_motion, less_motion.

A template fires only when the WHOLE instruction, once politeness is stripped, is one
simple change of its kind. Each template is a small grammar matched with `fullmatch`,
so a second change ("brighter and add fog"), a negation ("don't make it darker") or a
keyword inside another thing ("the nightclub sign", "a daylight lamp") cannot match:
when in doubt, no template, and the LLM (or the offline planner) decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from workflows.decisions.phrases import (
    INTENSITY,
    INTENSITY_RE,
    LEAD_FILLER,
    NEGATION_RE,
    STRONG,
    STRONG_RE,
    WHOLE,
    normalise,
)
from workflows.decisions.prompt_rewrites import rewrite_for_template
from workflows.decisions.temperature import BANDS
from workflows.models import PlannerKind
from workflows.step_models import PromptSuggestion

_M = rf"(?:{INTENSITY}|{STRONG})"  # an optional degree word
_OBJ = (
    rf"(?:{WHOLE}|(?:the|this) (?:overall |whole )?(?:lighting|light|look|exposure|image|picture"
    r"|frame|frames|setting|scene's lighting))"
)
_MAKE = r"(?:make|turn|get|render|have|i want|i'd like|i would like|i need|we need|want|need)"
_PREFIX = (
    rf"(?:{_MAKE} (?:{_OBJ} )?(?:(?:be|look|feel|seem) )?|(?:can|could|should) {_OBJ} (?:be|look) "
    rf"|{_OBJ} (?:should|could|needs to|has to|must) (?:be|look) )?"
)
_LEAD_FILLER = re.compile(rf"^(?:{LEAD_FILLER}|just)\s+")  # "just" is filler before one change
_TRAIL_FILLER = re.compile(
    rf"\s+(?:please|pls|plz|thanks|thank you|for me|now|instead|overall|again|if possible"
    rf"|if you can|this time|(?:in|for|on) {WHOLE})$"
)


def _comparative(words: str) -> str:
    return rf"{_PREFIX}(?:{_M} )?(?:{words})(?: {_M})?"


_MOTION = r"(?:motion|movement|camera (?:motion|movement|moves|work)|action|dynamism)"
_CALM = (
    r"calmer|stiller|steadier|more (?:static|still|steady|stable|calm)"
    r"|less (?:dynamic|shaky|jittery|busy|hectic|kinetic)"
)
_NIGHT = (
    r"(?:(?:at|during the|in the|into the) )?(?:night|nighttime)"
    r"(?: (?:scene|shot|version|setting))?"
    r"|(?:a |an )?(?:night|nighttime|late-night) (?:scene|shot|version|setting)"
    r"|after (?:dark|sundown|sunset|nightfall)|late at night|(?:in )?the middle of the night|a night"
)
_SUNNY = r"(?:(?:bright|sunny|clear|nice|beautiful|warm) )"
_DAY = (
    rf"(?:(?:during|in) the )?(?:day|daytime)(?: (?:scene|shot|version|setting))?"
    rf"|(?:a |an )?{_SUNNY}*(?:day|daytime) (?:scene|shot|version|setting)|(?:a |an ){_SUNNY}+day"
    r"|(?:in )?(?:broad )?daylight"
)
_TIME_SHIFT = (
    rf"(?:change|switch|turn|convert|move|shift|transform|flip|set|cut)(?: {_OBJ}| the time"
    r"(?: of (?:the )?day)?| day| night)?(?: over)? (?:to|into)"
)
_TIME_SET = rf"(?:set|place|stage|put|shoot|film|do|render|show|regenerate)(?: {_OBJ})?"
_TIME_VERSION = r"(?:do|give me|try|show me|create|generate|render) (?:a |an |the )?"
_HAPPEN = r"(?:(?:happen|take place|be|look like it'?s|look like|feel like|set) )?"
_COULD_IT = rf"(?:(?:can|could|should|would) {_OBJ} (?:be|happen|take place) )"
_CAMERA = r"(?:the )?camera(?: work| movement| moves)?"
_SHAKY = r"(?:shaky|jittery|bouncy|wobbly|erratic|frantic|jerky|unsteady|handheld)"
_SHAKE = r"(?:camera )?(?:shake|shaking|shakiness|jitter|jitters|wobble|wobbling)"
# "stop the camera shaking" asks for less motion; elsewhere "stop" negates.
STOP_SHAKING = re.compile(
    rf"stop {_CAMERA} (?:from )?(?:shaking|moving|wobbling|bouncing|jittering)"
    rf"(?: (?:so much|around|all over the place|like that))?"
)


@dataclass(frozen=True)
class Template:
    id: str
    kind: str  # what one simple change of this kind is, for the reasoning line
    band: str
    patterns: tuple[str, ...]
    compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", tuple(re.compile(p) for p in self.patterns))

    def fullmatches(self, text: str) -> bool:
        return any(p.fullmatch(text) for p in self.compiled)


TEMPLATES: tuple[Template, ...] = (
    Template(
        "brighter",
        "brightness increase",
        "moderate",
        (
            _comparative(
                r"brighter|bright|more (?:bright|lit|luminous)|better lit|less (?:dark|dim)"
            ),
            rf"(?:{_M} )?brighten(?: up)?(?: {_OBJ})?(?: up)?(?: {_M})?",
            rf"(?:{_M} )?(?:increase|raise|boost|bump up|bump|turn up|crank up|lift|push|up) "
            r"(?:the )?"
            rf"(?:overall )?(?:brightness|exposure|light levels?|lights)(?: {_M})?",
            rf"(?:add )?(?:{_M} )?more (?:light|brightness)",
            rf"(?:turn|crank|dial|bring|pump) (?:the )?(?:brightness|exposure|lights?) up(?: {_M})?",
            rf"(?:(?:it'?s|it is|this is|that'?s|{_OBJ} is) )?(?:{_M} )?"
            r"too (?:dark|dim|underexposed)",
        ),
    ),
    Template(
        "darker",
        "brightness decrease",
        "moderate",
        (
            _comparative(r"darker|dimmer|more (?:dark|dim)|less (?:bright|lit)"),
            rf"(?:{_M} )?(?:darken|dim)(?: down)?(?: {_OBJ}| the lights)?(?: down)?(?: {_M})?",
            rf"(?:{_M} )?(?:decrease|lower|reduce|turn down|drop|bring down|dial down|tone down) "
            rf"(?:the )?(?:overall )?(?:brightness|exposure|light levels?|lights)(?: {_M})?",
            rf"(?:{_M} )?less (?:light|brightness)",
            rf"(?:turn|tone|dial|bring) (?:the )?(?:brightness|exposure|lights?) down(?: {_M})?",
            rf"(?:(?:it'?s|it is|this is|that'?s|{_OBJ} is) )?(?:{_M} )?"
            r"too (?:bright|overexposed|washed out)",
        ),
    ),
    Template(
        "nighttime",
        "time of day change to night",
        "medium_high",
        (
            rf"(?:{_MAKE} (?:{_OBJ} )?{_HAPPEN}|{_COULD_IT})?(?:{_NIGHT})",
            rf"{_TIME_SHIFT} (?:{_NIGHT})",
            rf"{_TIME_SET} (?:at|during the|in the) (?:night|nighttime)|{_TIME_SET} after dark",
            rf"{_TIME_VERSION}(?:night|nighttime) (?:version|scene|shot|take)(?: of {_OBJ})?",
        ),
    ),
    Template(
        "daytime",
        "time of day change to day",
        "medium_high",
        (
            rf"(?:{_MAKE} (?:{_OBJ} )?{_HAPPEN}|{_COULD_IT})?(?:{_DAY})",
            rf"{_TIME_SHIFT} (?:{_DAY})",
            rf"{_TIME_SET} (?:at|during the|in the) (?:day|daytime)|{_TIME_SET} (?:in )?(?:broad )?daylight",
            rf"{_TIME_VERSION}(?:day|daytime|daylight) (?:version|scene|shot|take)(?: of {_OBJ})?",
        ),
    ),
    Template(
        "more_motion",
        "motion increase",
        "moderate",
        (
            rf"(?:(?:add|give it|give me|put|i want|we need|need|i'd like|with) )?(?:{_M} )?more "
            rf"{_MOTION}(?: {_M})?(?: (?:in|to) {_OBJ})?",
            rf"(?:add|give it|put in|introduce) (?:some |a bit of |a little "
            r"|a little bit of |a touch of "
            rf"|a hint of |a lot of |lots of )?{_MOTION}(?: (?:in|to) {_OBJ})?",
            rf"(?:{_M} )?(?:increase|boost|amp up|crank up|ramp up|raise|up|pump up"
            r"|dial up|turn up) "
            rf"(?:the )?(?:amount of )?{_MOTION}(?: {_M})?",
            _comparative(r"more (?:dynamic|kinetic)|less (?:static|still)"),
            r"(?:make |have |let |get )?the camera (?:move|moving)(?: more| around)?|move the camera more",
            rf"(?:{_MAKE} {_CAMERA} )?(?:{_M} )?more (?:dynamic|kinetic|energetic|lively)"
            rf"(?: {_CAMERA})?",
        ),
    ),
    Template(
        "less_motion",
        "motion decrease",
        "moderate",
        (
            rf"(?:(?:with|i want|we need|need|i'd like) )?(?:{_M} )?less {_MOTION}(?: {_M})?"
            rf"(?: in {_OBJ})?",
            rf"(?:{_M} )?(?:reduce|decrease|lower|cut down|tone down|dial back|dial down"
            r"|minimi[sz]e"
            rf"|limit|turn down) (?:the )?(?:amount of )?{_MOTION}(?: {_M})?",
            _comparative(rf"(?:{_CALM})(?: and (?:{_M} )?(?:{_CALM}))?"),
            rf"(?:stabili[sz]e|steady) (?:{_OBJ}|the camera)",
            r"(?:keep|hold) the camera (?:still|steady|static|steadier|stiller|more (?:steady|stable))"
            r"|lock off the camera",
            rf"(?:(?:with|i want|we need|need|i'd like) )?(?:{_M} )?less (?:{_SHAKE}|{_SHAKY} {_CAMERA})"
            rf"(?: {_M})?",
            rf"(?:{_M} )?(?:reduce|decrease|lower|cut down|tone down|minimi[sz]e) (?:the )?{_SHAKE}",
            rf"(?:calm|settle|slow) (?:down )?(?:{_CAMERA}|{_OBJ})(?: down)?",
            rf"(?:a |an )?(?:{_M} )?(?:steadier|calmer|stiller|smoother|more stable) {_CAMERA}",
            STOP_SHAKING.pattern,
        ),
    ),
)
TEMPLATE_IDS = tuple(t.id for t in TEMPLATES)


def template_text(instruction: str) -> str:
    """The instruction reduced to its request: no punctuation, greetings or 'please'."""
    text = re.sub(r"[,.!?;:\"()]+", " ", normalise(instruction))
    text = re.sub(r"\s+", " ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _LEAD_FILLER.sub("", text)
        text = _TRAIL_FILLER.sub("", text)
    return text


def find_template(instruction: str) -> Template | None:
    """The one template whose grammar the whole instruction matches, else None."""
    text = template_text(instruction)
    if not text or (NEGATION_RE.search(text) and not STOP_SHAKING.fullmatch(text)):
        return None
    found = [t for t in TEMPLATES if t.fullmatches(text)]
    return found[0] if len(found) == 1 else None


def degree(instruction: str) -> str:
    """'slight' for intensity words, 'strong' for much/way/a lot, else 'normal'."""
    text = template_text(instruction)
    if INTENSITY_RE.search(text):
        return "slight"
    if STRONG_RE.search(text):
        return "strong"
    return "normal"


def template_temperature(template: Template, how: str) -> tuple[float, str]:
    """(temperature, band name): intensity words -> medium_low, else the template's band."""
    if how == "slight":
        return BANDS["medium_low"].typical, "medium_low"
    band = BANDS[template.band]
    return (band.high if how == "strong" else band.typical), band.name


def match_template(instruction: str, prompt: str) -> PromptSuggestion | None:
    """A template suggestion when the instruction is one simple change of a template's kind."""
    template = find_template(instruction)
    if template is None:
        return None
    how = degree(instruction)
    temperature, band = template_temperature(template, how)
    wording = {"slight": " with an intensity word", "strong": " asked strongly", "normal": ""}[how]
    return PromptSuggestion(
        prompt=rewrite_for_template(template.id, prompt, how),
        temperature=temperature,
        reasoning=f"Template '{template.id}': one simple {template.kind}{wording}; {band} band.",
        planner=PlannerKind.TEMPLATE,
        template_id=template.id,
    )
