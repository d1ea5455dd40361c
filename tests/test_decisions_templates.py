"""The six templates: when they fire, when they must not, their bands and their rewrites."""

from __future__ import annotations

import re

import pytest

from workflows.decisions.temperature import BANDS
from workflows.decisions.templates import match_template
from workflows.models import PlannerKind

SUNSET = "A band plays on a rooftop at sunset, wide shot, slow dolly in, warm tones"
AFTERNOON = "A woman walks down a neon street in the afternoon, handheld camera, cinematic"
NIGHT = "A drummer in a dimly lit jazz club at night, static camera, moonlit windows"


@pytest.mark.parametrize(
    ("instruction", "template_id", "band"),
    [
        ("make it brighter", "brighter", "moderate"),
        ("Brighter, please!", "brighter", "moderate"),
        ("could you brighten the scene up a bit", "brighter", "medium_low"),
        ("it's too dark", "brighter", "moderate"),
        ("increase the exposure slightly", "brighter", "medium_low"),
        ("make clip 3 brighter", "brighter", "moderate"),
        ("make it darker", "darker", "moderate"),
        ("a touch darker", "darker", "medium_low"),
        ("dim the lights", "darker", "moderate"),
        ("turn the lights down a bit", "darker", "medium_low"),
        ("lower the brightness", "darker", "moderate"),
        ("make it nighttime", "nighttime", "medium_high"),
        ("make it night-time", "nighttime", "medium_high"),
        ("set it at night", "nighttime", "medium_high"),
        ("change the time of day to night", "nighttime", "medium_high"),
        ("give me a night version", "nighttime", "medium_high"),
        ("make it daytime", "daytime", "medium_high"),
        ("switch to a sunny day", "daytime", "medium_high"),
        ("make it broad daylight", "daytime", "medium_high"),
        ("add more motion", "more_motion", "moderate"),
        ("add some camera movement", "more_motion", "moderate"),
        ("make it more dynamic", "more_motion", "moderate"),
        ("a little more movement", "more_motion", "medium_low"),
        ("less motion", "less_motion", "moderate"),
        ("make it calmer and more static", "less_motion", "moderate"),
        ("stabilize the camera", "less_motion", "moderate"),
        ("slightly less camera movement", "less_motion", "medium_low"),
    ],
)
def test_template_fires_on_one_simple_change(instruction: str, template_id: str, band: str) -> None:
    suggestion = match_template(instruction, SUNSET)
    assert suggestion is not None, instruction
    assert suggestion.template_id == template_id
    assert suggestion.planner is PlannerKind.TEMPLATE
    assert BANDS[band].contains(suggestion.temperature)


@pytest.mark.parametrize(
    "instruction",
    [
        # negations
        "don't make it darker",
        "do not make it brighter",
        "never nighttime",
        "not so bright",
        # compound requests
        "make it brighter and add fog",
        "make it darker, moodier",
        "make it nighttime and add rain",
        "add more motion and change the lighting",
        # keywords inside other words or things
        "make the nightclub sign flicker",
        "turn on the daylight lamp",
        "change today's date on the newspaper",
        "give the dynamic duo capes",
        "remove the stars on his shirt",
        "make the night sky purple",
        "make her jacket darker",
        "make the colors brighter",
        # scoped or otherwise not one simple change of the kind
        "keep everything the same but make it brighter",
        "only the sky should be darker",
        "make it sunset",
        "make it evening",
        "brightness",
        "",
    ],
)
def test_template_does_not_fire(instruction: str) -> None:
    assert match_template(instruction, SUNSET) is None


@pytest.mark.parametrize(
    ("prompt", "gone"),
    [
        (SUNSET, "sunset"),
        (AFTERNOON, "afternoon"),
        (
            "A market in the morning under bright sunlight, golden hour",
            "morning|sunlight|golden hour",
        ),
        ("Kids play on a sunny beach during the day", "sunny|during the day"),
    ],
)
def test_nighttime_replaces_time_of_day_words(prompt: str, gone: str) -> None:
    suggestion = match_template("make it nighttime", prompt)
    assert suggestion is not None
    assert not re.search(rf"\b(?:{gone})\b", suggestion.prompt, re.IGNORECASE), suggestion.prompt
    assert "night" in suggestion.prompt


def test_nighttime_keeps_things_named_after_night() -> None:
    prompt = "A nightclub sign buzzes on a street at sunset"
    suggestion = match_template("make it nighttime", prompt)
    assert suggestion is not None
    assert "nightclub sign" in suggestion.prompt
    assert "sunset" not in suggestion.prompt


def test_daytime_replaces_night_words() -> None:
    suggestion = match_template("make it daytime", NIGHT)
    assert suggestion is not None
    assert not re.search(r"\bnight\b|moonlit", suggestion.prompt), suggestion.prompt
    assert "during the day" in suggestion.prompt


def test_brighter_replaces_dim_lighting_and_darker_undoes_it() -> None:
    brighter = match_template("make it brighter", NIGHT)
    assert brighter is not None
    assert "dimly lit" not in brighter.prompt and "brightly lit" in brighter.prompt
    darker = match_template("make it darker", brighter.prompt)
    assert darker is not None
    assert "brighter lighting" not in darker.prompt and "darker lighting" in darker.prompt


def test_less_motion_replaces_handheld_camera() -> None:
    suggestion = match_template("less camera movement", AFTERNOON)
    assert suggestion is not None
    assert "handheld" not in suggestion.prompt and "steady" in suggestion.prompt


@pytest.mark.parametrize("instruction", ["make it nighttime", "make it brighter", "more motion"])
def test_applying_a_template_twice_changes_nothing_more(instruction: str) -> None:
    once = match_template(instruction, SUNSET)
    assert once is not None
    twice = match_template(instruction, once.prompt)
    assert twice is not None and twice.prompt == once.prompt
