"""Applying a read change (change_reading.Change) to a prompt, in the prompt's own words.

A swap replaces the old attribute or thing; a removal deletes the thing; weather, people
and objects are woven in and the words they contradict go; a style or lighting change
replaces the look or light it contradicts; a camera move replaces the camera details.
What no rule can express is woven in as a description. Pure string work.
"""

from __future__ import annotations

import re

from workflows.decisions.change_reading import Change
from workflows.decisions.prompt_edits import (
    STOP_WORDS,
    apply_rules,
    drop_phrases,
    is_camera_segment,
    locate,
    reattribute,
    remove_thing,
    replace_phrase,
    replace_thing,
    segments,
    tidy,
    weave,
)
from workflows.decisions.prompt_rewrites import retime, rewrite_for_template
from workflows.decisions.scene_words import (
    ALONE_RE,
    CLOTHING_RE,
    COLD,
    COLOURS,
    EMPTY_RE,
    FAIR_SKY_RE,
    LEAD_RE,
    LIGHT_HEADS,
    LIGHT_QUALITIES,
    LIT_BY_RE,
    STYLE_GROUPS,
    SUN_RE,
    WEATHER,
    WET,
    alternation,
)

_LIGHT_PHRASE_RE = re.compile(rf"\b(?:{alternation(*LIGHT_HEADS)})\b", re.IGNORECASE)


def contradictions_of(prompt: str, change: Change, weave_in: bool = True) -> str:
    """Weather: fair-weather words give way (sunny, dry, clear sky); the weather is added."""
    kind = change.detail
    adjective = WEATHER[kind][1]
    if kind == "wind":
        prompt = apply_rules(
            prompt,
            (
                (r"\bcalm\b", "windy"),
                (
                    r"\b(hair|dress|flags?|trees|leaves|curtains?|grass)\s+(?:perfectly |completely )?"
                    r"(?:still|motionless|unmoving)\b",
                    r"\1 blowing in the wind",
                ),
            ),
        )
    else:
        prompt = re.sub(FAIR_SKY_RE.pattern, f"{adjective} ", prompt, flags=re.IGNORECASE)
        rules: list[tuple[str, str]] = [(r"\bsunny\b", adjective)]
        if kind in WET:  # rain wets what was dry, and melts what was snowy
            rules += [(r"\bdry\b", "wet"), (r"\bsnow(?:y|-covered)\b", "rainy")]
        else:
            rules.append((r"\bdry\s+", ""))
        if kind in COLD:
            rules += [
                (r"\brain(?:y|-soaked|-slicked)\b", "snowy"),
                (r"\b(?:warm|hot|balmy)\b", "cold"),
                (r"\b(?:summer|spring|autumn)\b", "winter"),
            ]
        prompt = drop_phrases(apply_rules(prompt, tuple(rules)), SUN_RE)
    return weave(prompt, change.new) if weave_in else tidy(prompt)


def _restyle(prompt: str, change: Change) -> str:
    for group in filter(None, change.detail.split(",")):
        contradicting = STYLE_GROUPS[group][1]
        prompt = drop_phrases(prompt, re.compile(rf"\b(?:{contradicting})\b"))
    return weave(prompt, change.new, at_end=True)


def _relight(prompt: str, change: Change) -> str:
    lit_by = LIT_BY_RE.search(prompt)
    if change.new.startswith(("lit by", "backlit by")) and lit_by:
        return tidy(prompt[: lit_by.start()] + change.new + prompt[lit_by.end() :])
    match = _LIGHT_PHRASE_RE.search(prompt)
    if match is None or not change.new:
        return weave(prompt, change.new if change.detail != "quality" else f"{change.new} lighting")
    phrase = locate(prompt, match.group(0))
    assert phrase is not None
    if change.detail != "quality":
        return replace_phrase(prompt, phrase, change.new)
    modifiers = prompt[phrase.start : phrase.head_start].split()
    kept = [w for w in modifiers if w.lower() not in LIGHT_QUALITIES and w.lower() not in COLOURS]
    rebuilt = " ".join([*change.new.split(), *kept, prompt[phrase.head_start : phrase.end]])
    return tidy(prompt[: phrase.start] + rebuilt + prompt[phrase.end :])


def _recamera(prompt: str, change: Change) -> str:
    parts = segments(prompt)
    kept = [parts[0]] + [p for p in parts[1:] if not is_camera_segment(p)]
    return weave(", ".join(kept), change.new, at_end=True)


def _add(prompt: str, change: Change) -> str:
    prompt = re.sub(EMPTY_RE.pattern, "", prompt, flags=re.IGNORECASE)
    if change.detail == "people":
        prompt = re.sub(ALONE_RE.pattern, "", prompt, flags=re.IGNORECASE)
    return weave(tidy(prompt), change.new)


def _wear(prompt: str, change: Change) -> str:
    clothing = CLOTHING_RE.search(prompt.lower())
    if clothing is None:
        return weave(prompt, change.new if change.detail == "as" else f"wearing {change.new}")
    phrase = locate(prompt, clothing.group(0))
    assert phrase is not None
    if change.detail != "as":
        return replace_phrase(prompt, phrase, change.new)
    lead = LEAD_RE.search(prompt[: phrase.det_start])
    start = lead.start() if lead else phrase.det_start
    return tidy(prompt[:start] + change.new + prompt[phrase.end :])


def _gerund(verb_phrase: str) -> str:
    """'touch the ground' -> 'touching the ground': an action said as a description."""
    verb, _, rest = verb_phrase.partition(" ")
    if verb.endswith("ing"):
        return verb_phrase
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        verb = verb[:-1]
    elif re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", verb):
        verb += verb[-1]  # run -> running
    return f"{verb}ing {rest}".strip()


def _act(prompt: str, change: Change) -> str:
    """'have the dancers freeze': the subject's verb (and its adverb) gives way."""
    phrase = locate(prompt, change.old)
    if phrase is not None:
        verb = re.match(r"\s+([a-z]+(?:\s+[a-z]+ly)?)\b", prompt[phrase.end :])
        if verb and verb.group(1).split()[0] not in STOP_WORDS:
            start = phrase.end + verb.start(1)
            return tidy(prompt[:start] + change.new + prompt[phrase.end + verb.end(1) :])
    return weave(prompt, f"{change.old} {_gerund(change.new)}")


def apply_change(prompt: str, change: Change, how: str = "normal") -> str:
    """The prompt with one change expressed in its own words."""
    kind = change.kind
    if kind == "template":
        return rewrite_for_template(change.detail, prompt, how)
    if kind == "time":
        return retime(prompt, change.new)
    if kind == "remove":
        return remove_thing(prompt, change.old) or prompt
    if kind == "attribute":
        return (
            reattribute(prompt, change.old, change.new)
            or replace_thing(prompt, change.old, f"{change.new} {change.old}")
            or weave(prompt, f"{change.new} {change.old}")
        )
    if kind == "swap":
        return replace_thing(prompt, change.old, change.new) or weave(prompt, change.new)
    handlers = {
        "weather": contradictions_of,
        "style": _restyle,
        "lighting": _relight,
        "camera": _recamera,
        "add": _add,
        "wear": _wear,
        "action": _act,
    }
    if kind in handlers:
        return handlers[kind](prompt, change)
    return weave(prompt, change.new)
