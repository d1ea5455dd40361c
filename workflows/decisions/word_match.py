"""How a request's words are found in a prompt: stems, content words, negations. Pure.

`unapplied` (what a plan did not express) asks whether each clause of the instruction
shows in the new prompt; these are its word-level answers, kept apart so each rule's
boundary is tested on its own (tests/test_unapplied_words.py).
"""

from __future__ import annotations

import re

from workflows.decisions.phrases import LEAD_FILLER_RE, normalise
from workflows.decisions.scene_words import COLOURS

# Words that carry no content of their own in a request.
STOP_WORDS = frozenset(
    """a an the it its it's this that these those to of in on at by for from with into onto
    and or but so then also as is are be been being was were do does did done please pls
    make makes making made let lets let's can could would will should may might must i i'd
    we you me my our your us just only really quite very bit little slightly somewhat
    much more less most least too even still again now actually maybe kind sort of way
    thing things something look looks looking feel feels feeling seem seems like want
    need change changing turn turning set give put add adding remove removing get rid
    keep leave same everything else rest all whole entire clip scene shot video frame
    one there here what which who where when how up down out over some any no not don't
    dont never without instead rather than her his him she he they them their its i'm
    fewer lot lots tad touch regenerate redo re-do identical almost exactly nearly
    completely totally different take start over fresh scratch scrap again try surprise
    hate anything about version go instead switch use move show hang fill bring crank
    hold swap replace turn convert transform render would nice could might good great
    lit light-it setting whole prefer love think feel bigger smaller throw""".split()
)
_SUFFIX = re.compile(r"(?:ing|ed|er|est|ly|ness|es|s)$")


def colour_contradicted(words: list[str], new: str) -> bool:
    """A colour asked for while another colour still sits on the same thing."""
    asked = {w for w in words if w in COLOURS}
    things = [w for w in words if w not in COLOURS and len(w) > 2]
    if not asked or not things:
        return False
    low = normalise(new)
    others = "|".join(re.escape(c) for c in COLOURS if c not in asked)
    return any(re.search(rf"\b(?:{others})\s+(?:[a-z-]+\s+)?{re.escape(t)}\b", low)
               for t in things)


def bare(clause: str) -> str:
    """The clause without politeness and filler in front."""
    text = LEAD_FILLER_RE.sub("", normalise(clause))
    while (shorter := LEAD_FILLER_RE.sub("", text)) != text:
        text = shorter
    return text


def negated_in(words: list[str], prompt: str) -> bool:
    low = normalise(prompt)
    return any(
        re.search(rf"\b(?:no|without|not|never|minimal|less|reduced)\s+(?:\w+\s+)?"
                  rf"{re.escape(w[:4])}", low)
        or re.search(rf"\b{re.escape(w[:4])}\w*-free\b", low)
        for w in words)


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'-]*", text.lower()) if w not in STOP_WORDS and len(w) > 1]


def stem(word: str) -> str:
    word = word.strip("'-")
    stem = _SUFFIX.sub("", word) if len(word) > 4 else word
    return stem[:5]


def stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z][a-z'-]*", normalise(text))}


def shows(word: str, among: set[str]) -> bool:
    """Whether `word` shows among stems (daytime ~ day, darken ~ darker)."""
    own = stem(word)
    if own in among:
        return True
    return len(own) >= 3 and any(
        len(s) >= 3 and (own.startswith(s) or s.startswith(own)) for s in among)
