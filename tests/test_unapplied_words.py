"""How `unapplied` matches the user's words to the prompt's (workflows/decisions/unapplied.py):
the stems, the shortest words that count, negations in the prompt. Each boundary here was a
surviving mutant (issue 35, session 7)."""

from __future__ import annotations

from workflows.decisions.unapplied import (
    _bare,
    _content,
    _contradiction_kept,
    _has,
    _negated_in,
    _stem,
)


def test_endings_come_off_words_longer_than_four_letters_only():
    assert _stem("darker") == "dark" and _stem("boxes") == "box"
    assert _stem("bass") == "bass"  # "bas" would match "base"
    assert _stem("red") == "red" and _stem("bus") == "bus"


def test_a_word_shows_by_a_shared_start_of_three_letters_or_more():
    assert _has("darkness", {"dark"})
    assert not _has("ox", {"oxen"})  # two letters are too few to be the same word
    assert not _has("upbeat", {"up"})


def test_two_letter_words_count_as_content():
    assert _content("add a tv") == ["tv"]


def test_a_negation_in_the_prompt_matches_by_the_first_four_letters():
    assert _negated_in(["smoking"], "a smoke-free room")
    assert _negated_in(["smoking"], "no smoke in the room")
    assert not _negated_in(["rain"], "no rails in sight")
    assert not _negated_in(["rain"], "a rail-free platform")


def test_a_colour_kept_on_a_thing_of_three_letters_or_more_contradicts():
    assert _contradiction_kept(["red", "car"], "a blue car on the road")
    assert not _contradiction_kept(["red", "tv"], "a blue tv on the wall")


def test_every_lead_of_politeness_is_taken_off():
    assert _bare("ok pls then zoom in") == "zoom in"
    assert _bare("ok so please add fog") == "add fog"
