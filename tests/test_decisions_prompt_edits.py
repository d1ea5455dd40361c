"""The prompt editor's parts, on prompts and phrasings the labelled sets do not contain."""

from __future__ import annotations

import pytest

from activities.planner.offline_planner import offline_suggestion
from workflows.decisions.prompt_edits import reattribute, remove_thing, weave
from workflows.decisions.rewrite_checks import check_rewrite, strip_labels

PARK = "A woman in a green coat walks a golden retriever through a snowy park in the morning, handheld tracking shot"


@pytest.mark.parametrize(
    ("thing", "gone", "kept"),
    [
        ("dog", "retriever", "walks through a snowy park"),  # a synonym names it
        ("snow", "snowy", "park"),  # its adjective goes with it
        ("coat", "coat", "A woman walks"),
    ],
)
def test_remove_thing_takes_its_words_with_it(thing: str, gone: str, kept: str) -> None:
    edited = remove_thing(PARK, thing)
    assert edited is not None and gone not in edited and kept in edited


def test_a_compound_adjective_of_the_thing_goes_too() -> None:
    street = "A woman walks down a rain-soaked neon street, handheld camera, cinematic, 35mm"
    assert (
        remove_thing(street, "rain")
        == "A woman walks down a neon street, handheld camera, cinematic, 35mm"
    )
    assert weave(street, "a crowd").endswith("street, a crowd, handheld camera, cinematic, 35mm")


def test_the_subject_is_never_cut_out() -> None:
    assert remove_thing(PARK, "woman") is None


def test_reattribute_replaces_only_the_same_class() -> None:
    assert reattribute(PARK, "coat", "yellow") == PARK.replace("green coat", "yellow coat")
    assert reattribute(PARK, "coat", "wool") == PARK.replace("green coat", "wool green coat")
    assert reattribute(PARK, "coat", "enormous") is None  # no class: not an attribute swap


def test_weave_goes_before_the_camera_details_once() -> None:
    once = weave(PARK, "falling leaves")
    assert once.endswith("falling leaves, handheld tracking shot")
    assert weave(once, "falling leaves") == once


@pytest.mark.parametrize(
    "instruction",
    [
        "make the crowd bigger and more energetic",
        "have the guitarist jump off the stage",
        "put a sparkle in her eye",
        "the song should feel sadder",
    ],
)
def test_what_no_rule_expresses_is_described_never_labelled(instruction: str) -> None:
    suggestion = offline_suggestion(instruction, PARK)
    assert "requested change" not in suggestion.prompt.lower()
    assert suggestion.prompt.startswith("A woman in a green coat")


def test_strip_labels_keeps_a_description_and_drops_an_echo() -> None:
    said = "A stage. Requested change: golden confetti falling"
    assert strip_labels(said, "add confetti") == "A stage, golden confetti falling"
    assert strip_labels("A stage. Requested change: add confetti", "add confetti") == "A stage"


def test_check_rewrite_swaps_an_attribute_the_reply_forgot() -> None:
    prompt, notes = check_rewrite("make her coat red", PARK, PARK)
    assert "red coat" in prompt and "green" not in prompt and notes


RAIN = "A girl in a yellow raincoat splashes through puddles on a rainy street, static wide shot"


@pytest.mark.parametrize(
    ("instruction", "present", "absent"),
    [
        ("the raincoat should be red", "red raincoat", "yellow"),
        ("remove the puddles", "splashes on a rainy street", "puddles"),
        ("swap the saxophone for a clarinet", "a clarinet", "swap"),  # nothing to swap: said
    ],
)
def test_more_phrasings_edit_in_place(instruction: str, present: str, absent: str) -> None:
    suggestion = offline_suggestion(instruction, RAIN)
    assert present in suggestion.prompt and absent not in suggestion.prompt
    assert 0.30 <= suggestion.temperature <= 0.40


def test_snow_replaces_rain_words_and_rain_melts_snow() -> None:
    wet = "A woman walks down a rain-soaked neon street, handheld camera"
    assert "snowy neon street" in offline_suggestion("make it snow", wet).prompt
    assert "rainy park" in offline_suggestion("add rain", PARK).prompt
