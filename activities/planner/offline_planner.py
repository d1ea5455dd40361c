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
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from workflows.decisions import plan_clip
from workflows.decisions.phrases import (
    DIFFERENT_ASPECT_RE,
    FIX_REQUEST_RE,
    INTENSITY_RE,
    LEAD_FILLER_RE,
    REDO_RE,
    SAMENESS_RE,
    SCOPE_RE,
    SETTING_CHANGE_RE,
    TIME_CHANGE_RE,
    TIME_OF_DAY_RE,
    clauses,
    find_unnegated,
    normalise,
)
from workflows.decisions.prompt_rewrites import retime, rewrite_for_template
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

    changes: list[tuple[str, float, str]] = field(default_factory=list)  # (band, temp, clause)
    fixes: list[str] = field(default_factory=list)
    redos: list[str] = field(default_factory=list)
    scoped: bool = False


def _band_index(band: str) -> int:
    return BAND_ORDER.index(band)


def _time_target(clause: str) -> str | None:
    """The time of day a clause moves the clip to ("sunset" in "change it to sunset")."""
    clause = re.sub(r"\btime of (?:the )?day\b", " ", clause)
    match = find_unnegated(TIME_OF_DAY_RE, clause)
    if match and TIME_CHANGE_RE.search(clause):
        return match.group(0)
    return None


def _clause_band(clause: str) -> tuple[str, float]:
    """The band of one requested change, read on its own."""
    template = find_template(clause)
    if template is not None:
        temperature, band = template_temperature(template, degree(clause))
        return band, temperature
    slight = bool(INTENSITY_RE.search(clause))
    big = (
        _time_target(clause) is not None
        or re.search(r"\btime of (?:the )?day\b", clause) is not None
        or find_unnegated(DIFFERENT_ASPECT_RE, clause) is not None
        or find_unnegated(SETTING_CHANGE_RE, clause) is not None
    )
    if slight:
        return "medium_low", BANDS["medium_low"].typical
    if big:
        return "medium_high", BANDS["medium_high"].typical
    return "moderate", BANDS["moderate"].typical


def read_instruction(text: str) -> Reading:
    """Split into clauses and sort each into scope, fix or change."""
    reading = Reading()
    for clause in clauses(text):
        clause = LEAD_FILLER_RE.sub("", clause)
        without_sameness = SAMENESS_RE.sub(" ", clause).strip()
        if without_sameness != clause:
            reading.scoped = True
            clause = without_sameness
        if _EMPTY_REST.fullmatch(clause) or _SCOPE_ONLY.fullmatch(clause):
            reading.scoped = True
            continue
        if find_unnegated(REDO_RE, clause):
            reading.redos.append(clause)
            continue
        stripped = _LEAD_SCOPE.sub("", clause)
        if FIX_REQUEST_RE.search(stripped):
            reading.fixes.append(stripped)
            continue
        if _NEGATED_CLAUSE.search(clause):
            continue  # "don't make it darker": a constraint, not a change
        if stripped != clause or SCOPE_RE.search(stripped):
            reading.scoped = True
        band, temperature = _clause_band(stripped)
        reading.changes.append((band, temperature, stripped))
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
        if reading.scoped:
            return "low", BANDS["low"].typical, "asks to keep the clip as it is"
        return "moderate", BANDS["moderate"].typical, "no recognisable change; moderate variation"
    band, temperature, _ = max(reading.changes, key=lambda c: (_band_index(c[0]), c[1]))
    several = " (compound request)" if len(reading.changes) > 1 else ""
    if reading.scoped and band == "medium_high":
        return (
            "moderate",
            BANDS["moderate"].typical,
            f"a significant change, scoped by keep/only{several}",
        )
    if reading.scoped:
        return "low", BANDS["low"].typical, f"a precise change with everything else kept{several}"
    whys = {
        "medium_low": "a small change (intensity word)",
        "moderate": "a moderate modification",
        "medium_high": "a significant visual change (time of day, lighting or setting)",
    }
    return band, temperature, whys.get(band, "a change") + several


def _in_users_case(phrase: str, cased: str) -> str:
    """The phrase as the user wrote it ("OPEN", not "open") when it appears verbatim."""
    start = cased.lower().find(phrase)
    return cased[start : start + len(phrase)] if start >= 0 else phrase


def _rewrite(prompt: str, reading: Reading, band: str, cased: str) -> str:
    """Apply what rules can express; state the rest as explicit changes and fixes."""
    rewritten = prompt
    requested: list[str] = []
    for _, _, clause in reading.changes:
        template = find_template(clause)
        target = _time_target(clause)
        if template is not None:
            rewritten = rewrite_for_template(template.id, rewritten, degree(clause))
        elif target is not None and target not in ("night", "nighttime", "day", "daytime"):
            rewritten = retime(rewritten, target)
        else:
            requested.append(_in_users_case(clause, cased))
    sentences = [rewritten]
    if requested:
        sentences.append("Requested change: " + "; ".join(requested))
    if reading.fixes:
        fixes = (re.sub(r"^fix(?:ing)?\s+", "", _in_users_case(f, cased)) for f in reading.fixes)
        sentences.append("Fix: " + "; ".join(fixes))
    if band in ("very_low", "low"):
        sentences.append("Everything else unchanged")
    return ". ".join(s.strip().rstrip(" .") for s in sentences if s.strip())


def offline_suggestion(instruction: str, prompt: str) -> PromptSuggestion:
    """A prompt, a temperature and a reasoning line from the policy's rules alone."""
    cased = normalise(instruction, lower=False)
    text = cased.lower()
    reading = read_instruction(text)
    band, temperature, why = _decide(text, reading)
    return PromptSuggestion(
        prompt=_rewrite(prompt, reading, band, cased),
        temperature=temperature,
        reasoning=f"Offline planner: {why}; {band} band.",
        planner=PlannerKind.OFFLINE,
    )


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
