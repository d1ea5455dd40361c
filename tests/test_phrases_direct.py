"""How an instruction is read (workflows/decisions/phrases.py): the longest phrase first,
and a negation counts only shortly before a word, in the same clause."""

from __future__ import annotations

import re

from workflows.decisions.phrases import INTENSITY_RE, is_negated, words_alternation


def test_the_longest_phrase_is_tried_first() -> None:
    pattern = words_alternation(("a little", "a little bit", "a"))
    assert pattern.split("|")[0] == r"a\ little\ bit"
    assert re.match(pattern, "a little bit brighter").group(0) == "a little bit"  # type: ignore[union-attr]
    assert INTENSITY_RE.search("make it a little bit brighter").group(0) == "a little bit"  # type: ignore[union-attr]


def test_a_negation_counts_up_to_24_characters_before() -> None:
    assert is_negated("not" + " " * 21 + "darker", 24)
    assert not is_negated("not" + " " * 22 + "darker", 25)
    assert is_negated("not" + " " * 22 + "darker", 25, window=25)


def test_a_negation_far_before_does_not_count() -> None:
    text = "   not" + " " * 44 + "darker"
    assert not is_negated(text, 50)
    assert is_negated(text, 50, window=50)


def test_a_negation_in_an_earlier_clause_does_not_count() -> None:
    text = "not that, make it dark"
    assert not is_negated(text, text.index("dark"))
    assert not is_negated("not that but make it dark", 21)
    assert is_negated("make it not dark", 12)
