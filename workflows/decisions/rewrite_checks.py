"""The offline planner's guarantees applied to another planner's prompt (GPT-4o's).

A language model usually rewrites well, but not always: it may keep the crowd it was
asked to remove, leave "at sunset" beside "at night", or echo a "Requested change:" label.
`check_rewrite` reads the instruction the offline planner's way and repairs only those
contradictions in the reply's prompt; the rest of its prose stays as written. Removed
things reach the negative prompt through `negative_addition`, whoever planned. Pure.
"""

from __future__ import annotations

import re

from workflows.decisions.change_reading import Change, read_change
from workflows.decisions.change_rewrites import contradictions_of
from workflows.decisions.phrases import LEAD_FILLER_RE, clauses, normalise
from workflows.decisions.prompt_edits import locate, reattribute, remove_thing, replace_thing, tidy
from workflows.decisions.prompt_rewrites import resolve_time
from workflows.decisions.scene_words import WEATHER_RE

_LABEL_RE = re.compile(
    r"\s*[.;,]?\s*\b(?:requested change|change requested)\s*:\s*(?P<said>[^.;]*)[.;]?", re.I
)


def strip_labels(prompt: str, instruction: str = "") -> str:
    """'... ballroom. Requested change: make it red' -> '... ballroom': the label goes, and
    so does the instruction it echoes; other words after it stay as a detail."""
    asked = normalise(instruction)

    def keep(match: re.Match[str]) -> str:
        said = normalise(match["said"]).strip(" ,")
        return "" if not said or said in asked or asked in said else f", {match['said']}"

    return tidy(_LABEL_RE.sub(keep, prompt)) if _LABEL_RE.search(prompt) else prompt


def _repair(prompt: str, change: Change) -> str:
    if change.kind == "remove":
        return remove_thing(prompt, change.old) or prompt
    if change.kind == "template" and change.detail in ("nighttime", "daytime"):
        return resolve_time(prompt, change.detail)
    if change.kind == "time":
        return resolve_time(prompt, change.new)
    if change.kind == "weather":
        return contradictions_of(
            prompt, change, weave_in=not WEATHER_RE[change.detail].search(prompt.lower())
        )
    if change.kind == "attribute":
        return reattribute(prompt, change.old, change.new) or prompt
    if (
        change.kind == "swap"
        and change.new.lower() not in prompt.lower()
        and locate(prompt, change.old)
    ):
        return replace_thing(prompt, change.old, change.new) or prompt
    return prompt


def check_rewrite(instruction: str, original_prompt: str, new_prompt: str) -> tuple[str, list[str]]:
    """The new prompt with labels gone and the instruction's contradictions resolved,
    and a note per repair (empty when the reply was already consistent)."""
    notes = []
    prompt = strip_labels(new_prompt, instruction)
    if prompt != new_prompt:
        notes.append("removed a 'Requested change:' label")
    for clause in clauses(normalise(instruction)):
        change = read_change(LEAD_FILLER_RE.sub("", clause), original_prompt)
        repaired = _repair(prompt, change)
        if repaired != prompt:
            notes.append(f"resolved what contradicted '{clause}'")
            prompt = repaired
    return prompt, notes
