"""The offline planner: the decision policy as rules, for instructions no template takes.

Used when no OpenAI key is set (by the prompt activity), and by `plan_offline`, which
runs the workflow's own planning path (`workflows.decisions.plan_clip`) with these
rules as the planner: for `starter.py plan --offline`, the eval and the benchmarks. It reads the instruction the policy's way: sameness
phrases, complete-redo phrases, scope words (only/just/keep), intensity words, defects to
fix, time-of-day and lighting words, and the clauses of a compound request. Each clause
gets a band; the strongest wins, scope words pull a change down to the precise band.
"""

from __future__ import annotations

import random
import re
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from workflows.decisions import plan_clip
from workflows.decisions.change_reading import (
    Change,
    continuation,
    new_value,
    read_change,
    replaced_by,
    resolved_clauses,
)
from workflows.decisions.change_rewrites import apply_change
from workflows.decisions.negative_prompts import fix_description
from workflows.decisions.phrases import (
    DIFFERENT_ASPECT_RE,
    FIX_REQUEST_RE,
    INTENSITY_RE,
    LEAD_FILLER_RE,
    REDO_RE,
    SAMENESS_RE,
    SETTING_CHANGE_RE,
    VAGUE_DEGREE_RE,
    clauses,
    find_unnegated,
    normalise,
)
from workflows.decisions.prompt_edits import weave
from workflows.decisions.temperature import BAND_ORDER, BANDS
from workflows.decisions.templates import degree, find_template, template_temperature
from workflows.models import DEFAULT_VIDEO_MODEL, PlannerKind
from workflows.step_models import ClipContext, Plan, PromptRequest, PromptSuggestion

BARE_FIX_TEMPERATURE = 0.30  # a fix without "keep the rest": the very_low/low boundary

_SCOPE_ONLY = re.compile(
    r"(?:please )?(?:keep|leave|preserve|maintain|retain)\b(?:(?!\b(?:make|making|change|changing"
    r"|add|adding|remove|removing|swap|replace|give|turn|fix|fixing|put|recolou?r|set)\b).)*"
    r"|(?:the )?same \w+(?: \w+)?|(?:everything|all) else\b.*|nothing else|(?:and )?that'?s it"
    r"|(?:do not|don't|dont|never) (?:change|touch|alter|modify|move) (?:anything|everything"
    r"|the rest|nothing)\b.*|(?:the )?rest (?:the )?(?:same|unchanged|as is)|as is|unchanged"
)
_STRONG_SCOPE = re.compile(
    r"\b(?:everything|anything|all else|the rest(?! of)|same|nothing else|as (?:it )?is|unchanged"
    r"|untouched|identical|only|just|except|apart from)\b"
)
_ALONE = re.compile(
    r"(?:i want|i'd like|leave|keep|have|just) (?:her|him|them|the \w+) (?:alone|on (?:her|his|their)"
    r" own|by (?:her|him|them)sel(?:f|ves))"
)
_NEGATED_CLAUSE = re.compile(r"^(?:please )?(?:do not|don't|dont|never|not|no|without)\b")
_LEAD_SCOPE = re.compile(r"^(?:please |then |so )*(?:just|only|simply)\s+")
# What is left of a clause once its sameness phrase is removed, when it asks for nothing else.
_EMPTY_REST = re.compile(
    r"(?:please|regenerate|redo|re-?do|make|keep|do|render|it|everything|the"
    r"|clip|scene|shot|thing|one|but|just|only|\s)*"
)


@dataclass
class Reading:
    """How the planner read an instruction: its changes, and the words that shape the band."""

    changes: list[tuple[str, float, Change]] = field(default_factory=list)  # (band, temp, change)
    clauses: list[str] = field(default_factory=list)  # the clause of each change
    fixes: list[str] = field(default_factory=list)
    redos: list[str] = field(default_factory=list)
    scoped: bool = False  # "keep everything else", "only", "just": the precise band
    kept: bool = False  # "keep it night": one aspect kept, a big change pulled down a step


def _band_index(band: str) -> int:
    return BAND_ORDER.index(band)


def _clause_band(clause: str, change: Change) -> tuple[str, float]:
    """The band of one requested change, read on its own."""
    if change.kind == "template":
        template = find_template(clause)
        assert template is not None
        temperature, band = template_temperature(template, degree(clause))
        return band, temperature
    band = change.band
    big = (
        re.search(r"\btime of (?:the )?day\b", clause) is not None
        or find_unnegated(DIFFERENT_ASPECT_RE, clause) is not None
        or find_unnegated(SETTING_CHANGE_RE, clause) is not None
    )
    if INTENSITY_RE.search(clause) and _band_index(band) > _band_index("medium_low"):
        band = "medium_low"
    elif big and _band_index(band) < _band_index("medium_high"):
        band = "medium_high"
    return band, BANDS[band].typical


def _extend(reading: Reading, clause: str) -> bool:
    """Fold 'not a bicycle' or 'go for red' into the change before it."""
    if not reading.changes:
        return False
    band, temperature, last = reading.changes[-1]
    old = replaced_by(clause)
    if old is not None:
        new = last.new if last.kind in ("swap", "attribute") else new_value(reading.clauses[-1])
        reading.changes[-1] = (
            min(band, "low", key=_band_index),
            BANDS["low"].typical,
            Change("swap", new=new, old=old, band="low"),
        )
        return True
    if VAGUE_DEGREE_RE.match(clause):
        return True  # the change before it already says what and which way
    more = continuation(clause)
    if more is not None and last.kind in ("lighting", "style"):
        words = f"{last.new}, {more}" if last.new else more
        reading.changes[-1] = (band, temperature, replace(last, new=words))
        return True
    return False


def read_instruction(text: str, prompt: str = "") -> Reading:
    """Split into clauses and sort each into scope, fix or change."""
    reading = Reading()
    for clause in resolved_clauses(clauses(text)):
        clause = LEAD_FILLER_RE.sub("", clause)
        without_sameness = SAMENESS_RE.sub(" ", clause).strip()
        if without_sameness != clause:
            reading.scoped = True
            clause = without_sameness
        if _EMPTY_REST.fullmatch(clause) or _SCOPE_ONLY.fullmatch(clause):
            reading.scoped = reading.scoped or bool(_STRONG_SCOPE.search(clause))
            reading.kept = True
            continue
        if _ALONE.fullmatch(clause):
            continue  # "I want her alone": the removal before it says it
        if find_unnegated(REDO_RE, clause):
            reading.redos.append(clause)
            continue
        stripped = _LEAD_SCOPE.sub("", clause)
        if FIX_REQUEST_RE.search(stripped):
            reading.fixes.append(stripped)
            continue
        if _extend(reading, stripped):
            continue
        change = read_change(stripped, prompt)
        if change.kind != "remove" and _NEGATED_CLAUSE.search(clause):
            continue  # "don't make it darker": a constraint, not a change
        if stripped != clause or _STRONG_SCOPE.search(stripped):
            reading.scoped = True
        band, temperature = _clause_band(stripped, change)
        reading.changes.append((band, temperature, change))
        reading.clauses.append(stripped)
    return reading


def _decide(text: str, reading: Reading) -> tuple[str, float, str]:
    """(band, temperature, why) for the whole instruction."""
    if find_unnegated(SAMENESS_RE, text):
        return "very_low", BANDS["very_low"].typical, "asks for almost exactly the same clip"
    if reading.redos or find_unnegated(REDO_RE, text):
        return "high", BANDS["high"].typical, "asks for a complete regeneration"
    if not reading.changes:
        if reading.fixes:
            if reading.scoped:
                return (
                    "very_low",
                    BANDS["very_low"].typical,
                    "a minor fix with everything else kept",
                )
            return "very_low", BARE_FIX_TEMPERATURE, "a minor fix of a defect; the rest stays"
        if reading.scoped or reading.kept:
            return "low", BANDS["low"].typical, "asks to keep the clip as it is"
        return "moderate", BANDS["moderate"].typical, "no recognisable change; moderate variation"
    band, temperature, _ = max(reading.changes, key=lambda c: (_band_index(c[0]), c[1]))
    several = " (compound request)" if len(reading.changes) > 1 else ""
    if (reading.scoped or reading.kept) and band == "medium_high":
        return (
            "moderate",
            BANDS["moderate"].typical,
            f"a significant change, scoped by keep/only{several}",
        )
    if reading.scoped and _band_index(band) > _band_index("low"):
        return "low", BANDS["low"].typical, f"a precise change with everything else kept{several}"
    whys = {
        "low": "a precise change of one thing",
        "medium_low": "a small change (intensity word)",
        "moderate": "a moderate modification",
        "medium_high": "a significant visual change (time of day, lighting, style or setting)",
    }
    return band, temperature, whys.get(band, "a change") + several


def _in_users_case(phrase: str, cased: str) -> str:
    """The phrase as the user wrote it ("OPEN", not "open") when it appears verbatim."""
    start = cased.lower().find(phrase)
    if start >= 0 and phrase:
        return cased[start : start + len(phrase)]
    words = {w.lower(): w for w in re.findall(r"[\w'-]+", cased)}
    return re.sub(r"[\w'-]+", lambda m: words.get(m.group(0), m.group(0)), phrase)


def _rewrite(prompt: str, reading: Reading, band: str, cased: str) -> str:
    """Each change in the prompt's own words; fixes said positively; a redo keeps the scene."""
    if band == "high":
        return prompt
    rewritten = prompt
    for (_, _, change), clause in zip(reading.changes, reading.clauses, strict=True):
        change = replace(change, new=_in_users_case(change.new, cased))
        rewritten = apply_change(rewritten, change, degree(clause))
    for fix in reading.fixes:  # the defect itself is in the negative prompt
        rewritten = weave(rewritten, fix_description(fix))
    sentences = [rewritten]
    if band in ("very_low", "low"):
        sentences.append("Everything else unchanged")
    return ". ".join(s.strip().rstrip(" .") for s in sentences if s.strip())


def offline_suggestion(instruction: str, prompt: str) -> PromptSuggestion:
    """A prompt, a temperature and a reasoning line from the policy's rules alone."""
    cased = normalise(instruction, lower=False)
    text = cased.lower()
    reading = read_instruction(text, prompt)
    band, temperature, why = _decide(text, reading)
    edits = "" if band == "high" else _edits_said(reading)
    return PromptSuggestion(
        prompt=_rewrite(prompt, reading, band, cased),
        temperature=temperature,
        reasoning=f"Offline planner: {why}; {band} band.{edits}",
        planner=PlannerKind.OFFLINE,
    )


_EDIT_WORDS = {
    "template": "template {detail}",
    "time": "time of day -> {new}",
    "remove": "removed {old}",
    "swap": "{old} -> {new}",
    "attribute": "{old} -> {new}",
    "wear": "clothing -> {new}",
    "weather": "weather: {new}",
    "add": "added {new}",
    "style": "style: {new}",
    "lighting": "lighting: {new}",
    "camera": "camera: {new}",
    "action": "{old}: {new}",
}


def _edits_said(reading: Reading) -> str:
    """What the rules did, and what they could only describe (no rule for its kind)."""
    done = [
        _EDIT_WORDS[c.kind].format(**vars(c))
        for _, _, c in reading.changes
        if c.kind in _EDIT_WORDS
    ]
    described = [c.new for _, _, c in reading.changes if c.kind == "describe"]
    said = f" Edits: {'; '.join(done)}." if done else ""
    if described:
        said += f" Added as description (no rule for it): {'; '.join(described)}."
    return said


_STANDALONE_JOB = UUID(int=0)  # plan_offline has no job: a fixed id keeps it deterministic


async def _offline_planner(request: PromptRequest) -> PromptSuggestion:
    return offline_suggestion(request.instruction, request.context.prompt)


def _run_to_completion(coroutine: Coroutine[Any, Any, Plan]) -> Plan:
    """Drive a coroutine that never waits (the offline planner does no I/O) to its value."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("offline planning awaited I/O; it must not")


def plan_offline(
    instruction: str,
    prompt: str,
    original_seed: int | None,
    rng: random.Random,
    *,
    target_duration: float = 8.0,
    video_model: str = DEFAULT_VIDEO_MODEL,
) -> Plan:
    """The workflow's planning path with the offline rules as the planner."""
    context = ClipContext(
        job_id=_STANDALONE_JOB,
        clip_index=0,
        prompt=prompt,
        original_seed=original_seed,
        target_duration=target_duration,
    )
    return _run_to_completion(
        plan_clip(
            instruction,
            context,
            conversation=[],
            rng=rng,
            video_model=video_model,
            ask_planner=_offline_planner,
        )
    )
