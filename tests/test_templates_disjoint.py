"""No instruction can match two templates: their grammars are disjoint regular languages.

`find_template` fires only when exactly one template's grammar matches the whole
instruction (when in doubt, no template). Whether two grammars can both match some text
is a question about regular languages that interegular answers exactly: each template's
patterns become one finite automaton, and every pair is intersected. A template added or
widened so that it overlaps another fails here with a text both match, checked with
Python's own `re`, so a mistaken parse cannot decide the test on its own.
"""

from __future__ import annotations

import itertools
import re

import interegular
from interegular.fsm import FSM, Alphabet
from interegular.patterns import REFlags

from workflows.decisions.templates import TEMPLATES, Template, find_template

# A control grammar that overlaps 'brighter' ("make it brighter") and no other template.
CONTROL = Template("control", "a test grammar", "moderate",
                   (r"make it (?:brighter|greener)", r"paint it red"))


def automata(templates: tuple[Template, ...]) -> dict[str, FSM]:
    """Each template's grammar (any of its patterns) as an automaton over one alphabet."""
    parsed = {t.id: interegular.parse_pattern("|".join(f"(?:{p})" for p in t.patterns))
              for t in templates}
    alphabet, _ = Alphabet.union(*(p.get_alphabet(REFlags(0)) for p in parsed.values()))
    return {name: pattern.to_fsm(alphabet) for name, pattern in parsed.items()}


def overlaps(templates: tuple[Template, ...]) -> list[tuple[str, str, str]]:
    """(template, template, a text both match) for every overlapping pair."""
    fsms, found = automata(templates), []
    for a, b in itertools.combinations(fsms, 2):
        both = fsms[a] & fsms[b]
        if not both.empty():
            found.append((a, b, "".join(str(c) for c in next(iter(both.strings())))))
    return found


def test_no_text_matches_two_templates():
    found = overlaps(TEMPLATES)
    by_id = {t.id: t for t in TEMPLATES}
    confirmed = [(a, b, text) for a, b, text in found
                 if by_id[a].fullmatches(text) and by_id[b].fullmatches(text)]
    assert found == [], f"texts two templates match (confirmed by re: {confirmed})"


def test_an_overlapping_grammar_is_found_with_a_text_both_match():
    brighter, darker = (next(t for t in TEMPLATES if t.id == name) for name in ("brighter", "darker"))
    found = overlaps((brighter, darker, CONTROL))
    assert [(a, b) for a, b, _ in found] == [("brighter", "control")]
    text = found[0][2]
    assert brighter.fullmatches(text) and CONTROL.fullmatches(text)
    assert re.fullmatch(r"make it brighter", text)
    # Matched by one template alone, the text is that template's.
    assert find_template(text).id == "brighter"
