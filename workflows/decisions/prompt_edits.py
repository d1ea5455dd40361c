"""Editing a prompt in its own words: find a noun phrase, remove it, replace it, recolour
it, drop what contradicts a change, weave a new phrase in.

Prompts are comma-separated descriptions ("A singer on a pier at noon, harsh sun, tripod
shot"): the first segment says who does what where, the others add details. A detail
segment that contradicts the change goes as a whole; in the first segment only the
contradicting words go. Pure string work with `re`: deterministic, safe in the workflow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workflows.decisions.scene_words import (
    ATTRIBUTE_CLASSES,
    CAMERA_RE,
    COLOURS,
    DETERMINERS,
    LEAD_RE,
    SYNONYMS,
    TONES,
)

STOP_WORDS = frozenset(
    "of at to from into onto through across along while and or as where who that which is are"
    " was were be with in on under behind beside near by for reading saying says reads spelling"
    " labelled labeled marked showing during amid amidst among over beneath against around after"
    " before inside outside past toward towards upon within without like than"
    # A verb that takes the thing as its object: "A woman holding red roses" (session 10).
    " holding wearing carrying clutching gripping hugging pushing pulling riding waving"
    " eating drinking using".split()
)
# Words ending in "s" that modify the next noun, not plurals: "a red sports car".
_S_MODIFIERS = frozenset("sports news arts crafts kids".split())
_MAX_MODIFIERS = 4
_TRAILING_DETAIL = re.compile(
    r"^\s+(?!while\b)(?:[a-z]+ing|behind|overhead|above|below|around|nearby)\b[^,]*",
    re.IGNORECASE,
)


def tidy(prompt: str) -> str:
    """Collapse the doubled commas, spaces and dangling words that edits leave behind."""
    prompt = re.sub(r"\s+", " ", prompt)
    prompt = re.sub(r"\s+([,.;])", r"\1", prompt)
    prompt = re.sub(r"([,;])(?:\s*[,;])+", r"\1", prompt)
    prompt = re.sub(r"(?<![\w-])(?:a|an|the|and|with|of)\s*(?=,|$)", "", prompt)
    prompt = re.sub(r"\s+([,.;])", r"\1", prompt)
    prompt = re.sub(r"([,;])(?:\s*[,;])+", r"\1", prompt)
    prompt = re.sub(r"\b(\w+)\s+\1\b", r"\1", prompt, flags=re.IGNORECASE)  # "camera camera"
    prompt = fix_articles(prompt.strip(" ,;"))
    return prompt[:1].upper() + prompt[1:] if prompt else prompt


def fix_articles(text: str) -> str:
    """'a' before a vowel sound becomes 'an' and back (edits change the word after it)."""
    text = re.sub(r"\b([Aa]) (?=[aeioAEIO]\w)", r"\1n ", text)
    return re.sub(r"\b([Aa])n (?=[b-df-gj-np-tv-zB-DF-GJ-NP-TV-Z]\w)", r"\1 ", text)


def append_clause(prompt: str, clause: str) -> str:
    """Add `clause` at the end unless the prompt already says it."""
    if not clause or clause.lower() in prompt.lower():
        return prompt
    return f"{prompt.rstrip(' ,.;')}, {clause}" if prompt.strip() else clause


def apply_rules(prompt: str, rules: tuple[tuple[str, str], ...]) -> str:
    """Ordered (pattern, replacement) substitutions, case-insensitive."""
    for pattern, replacement in rules:
        prompt = re.sub(pattern, replacement, prompt, flags=re.IGNORECASE)
    return prompt


def segments(prompt: str) -> list[str]:
    return [s.strip() for s in prompt.split(",")]


def is_camera_segment(segment: str) -> bool:
    """'slow dolly shot', 'handheld close-ups': a detail that says how the clip is shot."""
    words = segment.split()
    return (
        bool(CAMERA_RE.search(segment.lower()))
        and len(words) <= 6
        and (not words or words[0].lower() not in ("a", "an", "the"))
    )


# Finishing words that close a prompt like its camera details ("cinematic, 35mm").
_FINISH_RE = re.compile(
    r"(?:cinematic|\d+ ?mm(?: film| lens)?|shallow depth of field|bokeh|\d+k|hdr|film look)",
    re.IGNORECASE,
)


def weave(prompt: str, phrase: str, at_end: bool = False) -> str:
    """Add a detail before the trailing camera segments (or at the end), once."""
    phrase = phrase.strip(" ,.")
    if not phrase or phrase.lower() in prompt.lower():
        return prompt
    parts = segments(prompt)
    at = len(parts)
    if not at_end:
        while at > 1 and (is_camera_segment(parts[at - 1]) or _FINISH_RE.fullmatch(parts[at - 1])):
            at -= 1
    return tidy(", ".join([*parts[:at], phrase, *parts[at:]]))


def drop_phrases(prompt: str, pattern: re.Pattern[str]) -> str:
    """Remove what matches: a whole detail segment, or the words in the first segment."""
    parts = segments(prompt)
    kept = [parts[0]] + [p for p in parts[1:] if not pattern.search(p.lower())]
    first = kept[0]
    for match in reversed(list(pattern.finditer(first.lower()))):
        lead = LEAD_RE.search(first[: match.start()])  # "under a full moon" goes whole
        start = lead.start() if lead else match.start()
        first = first[:start] + " " + first[match.end() :]
    kept[0] = first
    return tidy(", ".join(kept))


def _plural(word: str) -> str:
    stem = word
    if re.search(r"(?:s|x|ch|sh)es$", word):
        stem = word[:-2]
    elif word.endswith("s") and not word.endswith("ss"):
        stem = word[:-1]
    return rf"{re.escape(stem)}(?:s|es)?"


def thing_pattern(thing: str) -> re.Pattern[str]:
    words = thing.lower().split()
    body = r"[\s-]+".join([*(re.escape(w) for w in words[:-1]), _plural(words[-1])])
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", re.IGNORECASE)


@dataclass(frozen=True)
class Phrase:
    """A noun phrase found in a prompt: [start, end) with its determiner from det_start."""

    det_start: int
    start: int  # first modifier (or the head)
    head_start: int
    end: int
    has_det: bool


def _extend_left(prompt: str, head_start: int) -> Phrase:
    start = head_start
    det_start = head_start
    count = 0
    has_det = False
    while count <= _MAX_MODIFIERS:
        match = re.search(r"([\w'&-]+)\s+$", prompt[:start])
        if not match:
            break
        word = match.group(1).lower()
        if word in DETERMINERS:
            det_start, has_det = match.start(1), True
            break
        if word == "and" and _between_colours(prompt, match.start(1), start):
            start = match.start(1)
            continue
        if word in STOP_WORDS or (word.endswith("s") and not word.endswith("ss")
                                  and word not in _S_MODIFIERS):
            break
        start = match.start(1)
        count += 1
    if not has_det:
        det_start = start
    return Phrase(det_start, start, head_start, 0, has_det)


_COLOUR_WORD = re.compile(rf"(?:{'|'.join(COLOURS)})\b", re.I)


def _between_colours(prompt: str, and_start: int, after: int) -> bool:
    """'red and white umbrella': one thing's colours. Not 'a blue jacket and red hat',
    two things (session 9: the jacket was recoloured with the hat)."""
    before = re.search(r"([\w'&-]+)\s+$", prompt[:and_start])
    return bool(_COLOUR_WORD.match(prompt, after) and before
                and _COLOUR_WORD.fullmatch(before.group(1)))


def candidates(thing: str) -> list[str]:
    """The thing's own words first, then what names the same kind of thing, longest first."""
    thing = thing.lower().strip()
    found = [thing]
    words = thing.split()
    for group in SYNONYMS:
        if thing in group or (words and words[-1] in group):
            found += sorted((g for g in group if g not in found), key=len, reverse=True)
    if len(words) > 1 and words[-1] not in found:
        found.append(words[-1])
    return found


def locate(prompt: str, thing: str) -> Phrase | None:
    """The first noun phrase in the prompt that names the thing (or a synonym); the head is
    its last word, so 'denim' in 'denim jacket' is a modifier an edit may change."""
    names = candidates(thing)
    for candidate in names:
        match = thing_pattern(candidate).search(prompt)
        if match:
            end = match.end()
            # "aviators" found in "aviator sunglasses": take the noun too, and every naming
            # noun after it ("terrier" in "a pit bull terrier puppy", session 10).
            for _ in range(_MAX_MODIFIERS):
                more = next((m for other in names if (m := re.match(
                    rf"\s+{thing_pattern(other).pattern}", prompt[end:], re.IGNORECASE))), None)
                if more is None:
                    break
                end += more.end()
            head = prompt.rfind(" ", match.start(), end) + 1 or match.start()
            head = max(head, match.start())
            phrase = _extend_left(prompt, match.start())
            return Phrase(phrase.det_start, phrase.start, head, end, phrase.has_det)
    return None


def _adjective_forms(thing: str) -> list[str]:
    if " " in thing:
        return []
    forms = [f"{thing}y", f"{thing}{thing[-1]}y", f"{thing[:-1]}y" if thing.endswith("e") else ""]
    return [*forms, rf"{thing}-\w+"]  # "rain-soaked", "smoke-filled"


def remove_thing(prompt: str, thing: str) -> str | None:
    """The prompt without the thing (and the words that only served it); None if absent."""
    changed = False
    for _ in range(3):
        phrase = locate(prompt, thing)
        if phrase is None or phrase.det_start == 0:
            break  # absent, or the clip's subject: cutting it would leave no sentence
        changed = True
        prompt = _cut(prompt, phrase)
    forms = [f for f in _adjective_forms(re.escape(thing.lower())) if f]
    if forms:
        pattern = re.compile(rf"\b(?:{'|'.join(forms)})\s+", re.IGNORECASE)
        prompt, count = pattern.subn("", prompt)
        changed = changed or bool(count)
    return tidy(prompt) if changed else None


def _cut(prompt: str, phrase: Phrase) -> str:
    start, end = phrase.det_start, phrase.end
    after = prompt[end:]
    before = prompt[:start]
    verb_while = re.search(r"(\b[a-z]+s)\s+$", before) if re.match(r"\s+while\b", after) else None
    if verb_while:  # "holds a guitar while sitting" -> "sitting"
        return before[: verb_while.start(1)] + re.sub(r"^\s+while\s+", " ", after)
    if re.match(r"\s+and\s+", after):  # "in sunglasses and a jacket" -> "in a jacket"
        return before + re.sub(r"^\s+and\s+", " ", after)
    trailing = _TRAILING_DETAIL.match(after)
    if trailing:
        after = after[trailing.end() :]
    lead = LEAD_RE.search(before)
    if lead:
        before = before[: lead.start()]
    elif re.search(r"\band\s+$", before):
        before = re.sub(r"\s*\band\s+$", " ", before)
    return before + " " + after


def replace_phrase(prompt: str, phrase: Phrase, new: str) -> str:
    """The noun phrase (modifiers and head) replaced by `new`; the determiner adapts."""
    new = new.strip()
    own_det = bool(re.match(r"(?:a|an|the|some)\s", new, re.IGNORECASE))
    single_det = prompt[phrase.det_start :].lower().startswith(("a ", "an "))
    start = phrase.start
    if own_det or (phrase.has_det and single_det and _is_plural(new)):
        start = phrase.det_start
    return tidy(prompt[:start] + new + prompt[phrase.end :])


def _is_plural(text: str) -> bool:
    last = text.split()[-1].lower() if text.split() else ""
    return last.endswith("s") and not last.endswith("ss")


def replace_thing(prompt: str, old: str, new: str) -> str | None:
    phrase = locate(prompt, old)
    return replace_phrase(prompt, phrase, new) if phrase else None


def attribute_class(words: list[str]) -> frozenset[str] | None:
    """The class (colours, materials...) all the new words' attributes belong to, if one."""
    content = [w for w in words if w not in TONES and w not in DETERMINERS]
    for klass in ATTRIBUTE_CLASSES:
        if content and all(w in klass for w in content):
            return klass
    return None


def reattribute(prompt: str, thing: str, new: str) -> str | None:
    """'make the umbrella yellow': the old value of the same class gives way to the new."""
    klass = attribute_class(new.lower().replace(" and ", " ").split())
    phrase = locate(prompt, thing)
    if klass is None or phrase is None:
        return None
    modifiers = prompt[phrase.start : phrase.head_start].split()
    kept: list[str] = []
    inserted = False
    for index, word in enumerate(modifiers):
        lowered = word.lower()
        tone = (
            lowered in TONES
            and index + 1 < len(modifiers)
            and modifiers[index + 1].lower() in klass
        )
        joined = lowered == "and" and index > 0 and modifiers[index - 1].lower() in klass
        if lowered in klass or tone or joined:
            if not inserted:
                kept.append(new)
                inserted = True
            continue
        kept.append(word)
    if not inserted:
        kept.insert(0, new)
    rebuilt = " ".join([*kept, prompt[phrase.head_start : phrase.end]])
    return tidy(prompt[: phrase.start] + rebuilt + prompt[phrase.end :])
