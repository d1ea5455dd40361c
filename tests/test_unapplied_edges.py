"""The edges of `unapplied` that mutation testing found untested (issue 35, session 7):
every part is still listed after one is, a refused part is taken out wherever it sits,
a complaint or a vague "tone it down" counts only when the prompt really moved."""

from __future__ import annotations

from workflows.decisions.unapplied import unapplied_parts, without_refused
from workflows.models import UnappliedPart

OLD = "A woman walks down a quiet street at dusk, handheld camera"


def listed(instruction: str, new: str = OLD, **kw) -> list[tuple[str, str]]:
    return [(p.text, p.reason) for p in unapplied_parts(instruction, OLD, new, None, **kw)]


def test_every_part_after_an_unjoined_continuity_request_is_still_read():
    found = listed("flow from the previous clip. use seed 42", joined=None)
    assert found == [("flow from the previous clip", "not_expressed"),
                     ("use seed 42", "instructions_to_system")]


def test_the_rest_of_a_joined_continuity_request_is_still_read():
    """'flow from the clip before, at the end she waves': joined in frames, but the rest
    (a moment inside the clip) is not something the prompt can promise."""
    found = listed("flow from the previous clip and at the end she waves", joined="both")
    assert found == [("at the end she waves", "not_expressed")]


def test_a_refused_part_after_a_not_expressed_one_is_still_taken_out():
    parts = [UnappliedPart(text="only in the last two seconds", reason="not_expressed"),
             UnappliedPart(text="use seed 42", reason="instructions_to_system")]
    assert without_refused(f"{OLD}, only in the last two seconds, seed 42", parts) == (
        f"{OLD}, only in the last two seconds")


def test_an_empty_sentence_does_not_end_the_reading():
    assert ("use seed 42", "instructions_to_system") in listed("add fog. . use seed 42",
                                                               new=OLD + ", fog")


def test_then_stays_on_its_clause():
    assert listed("add fog, then the lights fade out", new=OLD + ", fog") == [
        ("then the lights fade out", "not_expressed")]


def test_a_few_foreign_words_among_more_english_ones_are_english():
    found = listed("add a little café et a bakery to the street and make it more warm",
                   new=OLD + ", a little café et a bakery, warm light")
    assert all(reason != "other_language" for _, reason in found)


def test_a_complaint_counts_only_when_the_prompt_moved_away_from_it():
    assert listed("way too dark", new=OLD + ". Everything else unchanged") == [
        ("way too dark", "not_expressed")]
    assert listed("way too dark", new=OLD + ", darker shadows") == [
        ("way too dark", "not_expressed")]
    assert listed("the smoke is too much") == [("the smoke is too much", "not_expressed")]
    assert listed("way too dark", new=OLD + ", brighter light") == []


def test_a_vague_tone_it_down_needs_another_change_beside_it():
    assert listed("tone it down", new=OLD + ", darker") == [("tone it down", "not_expressed")]
    assert listed("add fog, tone it down") == [("add fog", "not_expressed"),
                                              ("tone it down", "not_expressed")]
    assert listed("make it darker, tone it down", new=OLD + ", darker") == []


def test_a_refused_text_never_takes_a_single_word_of_the_prompt_with_it():
    """Only a copied tail of two words or more is taken out: 'cinematic' alone is the
    prompt's own word, even when the refused text ends with it."""
    parts = [UnappliedPart(text="act as if cinematic", reason="instructions_to_system")]
    assert without_refused(f"{OLD}, cinematic, slow pan", parts) == f"{OLD}, cinematic, slow pan"


def test_a_paraphrase_of_a_single_change_needs_two_new_words():
    """'make it spooky' said as 'eerie fog' is applied; one stray new word is not enough."""
    assert listed("make it spooky", new=OLD + ", eerie fog") == []
    assert listed("make it spooky", new=OLD + ", eerie") == [("make it spooky", "not_expressed")]


def test_the_rest_of_a_joined_request_in_the_same_clause_is_read_whatever_it_says():
    """Continuity words and another request in one clause: the rest is read like any
    other part, whether it sorts before or after 'keep everything the same'."""
    assert listed("flow from the previous clip with the words hello on screen",
                  joined="both") == [("flow with the words hello on screen", "not_expressed")]
    assert listed("flow from the previous clip at the end she waves", joined="both") == [
        ("flow at the end she waves", "not_expressed")]
    assert listed("put the words hello on screen flowing from the previous clip",
                  joined="both") == [("put the words hello on screen flowing", "not_expressed")]


def test_an_english_plus_joins_and_is_not_kept_on_the_clause():
    assert listed("add fog plus a caption saying hi", new=OLD + ", fog") == [
        ("a caption saying hi", "not_expressed")]


def test_a_vague_tone_it_down_needs_something_gained_not_only_lost():
    assert ("tone it down", "not_expressed") in listed(
        "remove the camera, tone it down", new="A woman walks down a quiet street at dusk")
