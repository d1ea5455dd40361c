"""The prompt vocabulary's one function (workflows/decisions/scene_words.py): an
alternation tries the longest phrase first, so a phrase wins over its own first word."""

from __future__ import annotations

import re

from workflows.decisions.scene_words import alternation


def test_the_longest_phrase_is_tried_first() -> None:
    pattern = alternation("in", "in front of", "on")
    assert re.match(pattern, "in front of the stage").group(0) == "in front of"  # type: ignore[union-attr]
    assert pattern.split("|")[0] == r"in\ front\ of"


def test_phrases_are_escaped() -> None:
    assert re.fullmatch(alternation("t-shirt", "b&w (old)"), "b&w (old)") is not None
    assert re.fullmatch(alternation("a.b"), "axb") is None
