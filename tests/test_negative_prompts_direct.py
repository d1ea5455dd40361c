"""What a fix says in the prompt and what goes to the negative prompt
(workflows/decisions/negative_prompts.py), with literal texts."""

from __future__ import annotations

import pytest

from workflows.decisions.negative_prompts import (
    fix_description,
    merge_negative_prompts,
    negative_addition,
)

# What each fix says in the prompt: the body part, the text, the object, else the defect.
SAID_FOR = {
    "fix the blurry face": "natural-looking face",
    "fix the sign text": "clear legible sign",
    "fix the guitar strings": "intact guitar strings",
    "fix the wobbly mic": "intact mic",
    "fix the flicker": "steady flicker-free light",
    "fix the blur": "sharp focus",
    "Fix It": "clean artifact-free image",
}


@pytest.mark.parametrize("fix", SAID_FOR)
def test_a_fix_is_said_as_what_should_be_there(fix: str) -> None:
    assert fix_description(fix) == SAID_FOR[fix]


def test_negative_prompts_merge_first_spelling_kept_no_repeats() -> None:
    assert merge_negative_prompts("blurry, Crowd", ["crowd", " logo "], None, "", "Blurry") == (
        "blurry, Crowd, logo"
    )
    assert merge_negative_prompts(None, [], "", " , ") is None


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("fix the garbled text", ["garbled text"]),
        ("fix the guitar", ["distorted guitar"]),
        ("remove the guitar", ["guitar"]),  # removed, not distorted
        ("the hand looks weird", ["distorted hand"]),
        ("the stage looks weird", []),  # nothing that distorts
        ("avoid the crowd", ["crowd"]),
        ("avoid changing anything", []),
        ("fix everything", []),
        ("fix anything weird", []),  # "anything" names no thing, weird or not
        ("fix everything, fix her hand", ["distorted hand"]),  # the next fix is still read
        ("fix the", []),
    ],
)
def test_what_goes_to_the_negative_prompt(instruction: str, expected: list[str]) -> None:
    assert negative_addition(instruction) == expected


def test_a_long_phrase_is_cut_to_80_characters() -> None:
    assert negative_addition("avoid " + "abcdefghij" * 10) == ["abcdefghij" * 8]
