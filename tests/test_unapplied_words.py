"""How `unapplied` matches the user's words to the prompt's (workflows/decisions/word_match.py):
the stems, the shortest words that count, negations in the prompt. Each boundary here was a
surviving mutant (issue 35, session 7)."""

from __future__ import annotations

from workflows.decisions.word_match import (
    bare,
    colour_contradicted,
    content_words,
    negated_in,
    shows,
    stem,
)


def test_endings_come_off_words_longer_than_four_letters_only():
    assert stem("darker") == "dark" and stem("boxes") == "box"
    assert stem("bass") == "bass"  # "bas" would match "base"
    assert stem("red") == "red" and stem("bus") == "bus"


def test_a_word_shows_by_a_shared_start_of_three_letters_or_more():
    assert shows("darkness", {"dark"})
    assert not shows("ox", {"oxen"})  # two letters are too few to be the same word
    assert not shows("upbeat", {"up"})


def test_two_letter_words_count_ascontent_words():
    assert content_words("add a tv") == ["tv"]


def test_a_negation_in_the_prompt_matches_by_the_first_four_letters():
    assert negated_in(["smoking"], "a smoke-free room")
    assert negated_in(["smoking"], "no smoke in the room")
    assert not negated_in(["rain"], "no rails in sight")
    assert not negated_in(["rain"], "a rail-free platform")


def test_a_colour_kept_on_a_thing_of_three_letters_or_more_contradicts():
    assert colour_contradicted(["red", "car"], "a blue car on the road")
    assert not colour_contradicted(["red", "tv"], "a blue tv on the wall")


def test_every_lead_of_politeness_is_taken_off():
    assert bare("ok pls then zoom in") == "zoom in"
    assert bare("ok so please add fog") == "add fog"
