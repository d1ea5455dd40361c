"""Another planner's prompt checked the offline planner's way
(workflows/decisions/rewrite_checks.py): one case per kind of change, with literal texts."""

from __future__ import annotations

import pytest

from workflows.decisions.rewrite_checks import check_rewrite, strip_labels

SUNSET = "A singer in a red hat on a rooftop at sunset, a crowd behind her, handheld shot"


@pytest.mark.parametrize(
    ("instruction", "repaired"),
    [
        ("remove the crowd", "A singer in a red hat on a rooftop at sunset, handheld shot"),
        ("make it night",
         "A singer in a red hat on a rooftop at night, a crowd behind her, handheld shot"),
        ("change it to dawn",
         "A singer in a red hat on a rooftop at dawn, a crowd behind her, handheld shot"),
        ("add rain", "A singer in a red hat on a rooftop at sunset, a crowd behind her, "
                     "rain falling, handheld shot"),
        ("make the hat blue",
         "A singer in a blue hat on a rooftop at sunset, a crowd behind her, handheld shot"),
        ("replace the hat with a beanie",
         "A singer in a beanie on a rooftop at sunset, a crowd behind her, handheld shot"),
    ],
)
def test_a_reply_that_ignored_the_change_is_repaired_with_a_note(
    instruction: str, repaired: str
) -> None:
    assert check_rewrite(instruction, SUNSET, SUNSET) == (
        repaired, [f"resolved what contradicted '{instruction}'"]
    )


@pytest.mark.parametrize(
    "instruction",
    [
        "make it brighter",  # a template without a time of day: the reply's wording stands
        "make her wear a scarf",
        "have the singer jump",
        "make it anime style",
        "add a neon sign",
        "a singer in a red hat",
    ],
)
def test_what_no_repair_covers_is_left_as_written_without_a_note(instruction: str) -> None:
    assert check_rewrite(instruction, SUNSET, SUNSET) == (SUNSET, [])


def test_a_swap_the_reply_already_made_keeps_its_prose() -> None:
    both = SUNSET.replace("red hat", "red hat and a beanie")
    assert check_rewrite("replace the hat with a beanie", SUNSET, both) == (both, [])


def test_weather_already_in_the_reply_is_not_added_twice() -> None:
    foggy = "A singer on a sunny rooftop, fog rolling in"
    assert check_rewrite("add fog", foggy, foggy) == (
        "A singer on a foggy rooftop, fog rolling in",
        ["resolved what contradicted 'add fog'"],
    )


def test_a_label_is_dropped_with_its_own_note() -> None:
    labelled = "A singer on a rooftop at night. Requested change: make it night"
    assert check_rewrite("make it night", SUNSET, labelled) == (
        "A singer on a rooftop at night", ["removed a 'Requested change:' label"]
    )


def test_a_reply_with_no_label_is_the_same_object_back() -> None:
    assert strip_labels(SUNSET, "make it night") is SUNSET


def test_a_label_that_opens_the_reply_is_noted_too() -> None:
    reply = "Requested change: make it night. The singer on a rooftop at night"
    assert check_rewrite("make it night", SUNSET, reply) == (
        "The singer on a rooftop at night", ["removed a 'Requested change:' label"]
    )


@pytest.mark.parametrize(
    ("said", "instruction"),
    [("make it night", "make it night and add rain"),  # part of the instruction
     ("make it night please", "make it night")],  # the instruction and a word more
)
def test_a_label_echoing_the_instruction_goes_whole(said: str, instruction: str) -> None:
    assert strip_labels(f"A singer at night. Requested change: {said}", instruction) == (
        "A singer at night"
    )
