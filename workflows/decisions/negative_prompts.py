"""Negative-prompt additions for "avoid X" / "fix X" instructions, and merging them.

"avoid weird right arm" -> "weird right arm"; "fix the blurry face" -> "blurry face";
"fix her hand" -> "distorted hand" (asking Veo to avoid "her hand" would remove the hand);
"lose the crowd" -> "crowd" (a removed thing must not come back, whoever wrote the prompt).
A negative prompt lists what must not appear, so only defects, avoided and removed things.
"""

from __future__ import annotations

import re

from workflows.decisions.change_reading import removed_things
from workflows.decisions.phrases import (
    BODY_PART_RE,
    DEFECT_RE,
    DETERMINERS,
    LOOKS_WRONG_RE,
    NOT_A_THING_RE,
    normalise,
)

_STOP = r"(?=\s*(?:[,.;!?]|\band\b|\bbut\b|\bplease\b|\bthough\b|\bso\b|\bthis time\b|$))"
_DETERMINERS = DETERMINERS
_AVOID_RE = re.compile(
    rf"\b(?:avoid|without|no more|get rid of)\s+{_DETERMINERS}(?P<x>[^,.;!?]+?){_STOP}"
)
_FIX_RE = re.compile(
    rf"\b(?:fix|fixing|correct|correcting|repair|repairing|remove|removing|clean up|eliminate)\s+"
    rf"{_DETERMINERS}(?P<x>[^,.;!?]+?){_STOP}"
)
_LOOKS_WRONG_RE = re.compile(rf"\b{_DETERMINERS}(?P<x>[a-z' -]+?)\s+{LOOKS_WRONG_RE.pattern}")
_THINGS_THAT_DISTORT = rf"{BODY_PART_RE.pattern}|\b(?:guitar|strings|instrument|neck|wheels?)\b"
_TEXT = r"\b(?:text|lettering|writing|letters|sign|logo)\b"
_MAX_CHARS = 80


def _clean(phrase: str) -> str:
    phrase = re.sub(rf"^{_DETERMINERS}", "", phrase.strip(" '\"-"))
    phrase = re.sub(r"\b(?:her|his|their|its|the)\s+", "", phrase)
    return phrase.strip()[:_MAX_CHARS].strip()


def negative_addition(instruction: str) -> list[str]:
    """What the instruction asks to avoid or fix, phrased for a negative prompt."""
    text = normalise(instruction)
    found: list[str] = []
    for match in _AVOID_RE.finditer(text):
        thing = _clean(match["x"])
        if thing and not NOT_A_THING_RE.search(thing):
            found.append(thing)
    for match in _FIX_RE.finditer(text):
        thing = _clean(match["x"])
        if not thing or NOT_A_THING_RE.search(thing):
            continue
        if DEFECT_RE.search(thing):
            found.append(thing)
        elif re.search(_TEXT, thing):
            found.append(f"garbled {thing}")
        elif re.search(_THINGS_THAT_DISTORT, thing) and not match.group(0).startswith("remov"):
            found.append(f"distorted {thing}")
    for match in _LOOKS_WRONG_RE.finditer(text):
        thing = _clean(match["x"])
        if thing and re.search(_THINGS_THAT_DISTORT, thing):
            found.append(f"distorted {thing}")
    return found + removed_things(text)


_OBJECTS_THAT_DISTORT = re.compile(
    r"\b(?:(?:guitar|bass|violin)\s+)?(?:strings|neck|fretboard)\b|\bguitar\b|\binstrument\b"
    r"|\bwheels?\b|\bmicrophone\b|\bmic\b|\b(?:drum)?sticks\b"
)


def fix_description(fix: str) -> str:
    """The positive side of a fix, said in the prompt (the defect goes to the negative):
    'fix the blurry face' -> 'natural-looking face'; 'the flicker' -> 'steady flicker-free light'."""
    text = normalise(fix)
    for pattern, said in (
        (BODY_PART_RE, "natural-looking {}"),
        (re.compile(_TEXT), "clear legible {}"),
        (_OBJECTS_THAT_DISTORT, "intact {}"),
    ):
        match = pattern.search(text)
        if match:
            return said.format(match.group(0))
    if re.search(r"\bblur", text):
        return "sharp focus"
    if re.search(r"\bflicker", text):
        return "steady flicker-free light"
    return "clean artifact-free image"


def merge_negative_prompts(*parts: str | list[str] | None) -> str | None:
    """Comma-joined union of negative prompts, first spelling kept, no repeats; None if empty."""
    seen: set[str] = set()
    merged: list[str] = []
    for part in parts:
        items = part if isinstance(part, list) else (part or "").split(",")
        for item in items:
            item = item.strip()
            if item and item.lower() not in seen:
                seen.add(item.lower())
                merged.append(item)
    return ", ".join(merged) or None
