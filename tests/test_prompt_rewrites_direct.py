"""The templates' rewrites and the time-of-day moves (workflows/decisions/prompt_rewrites.py),
with literal prompts: what is replaced, what is dropped, which closing clause is added once."""

from __future__ import annotations

import pytest

from workflows.decisions.prompt_rewrites import (
    drop_contradictions,
    resolve_time,
    retime,
    rewrite_for_template,
)

BAR = "A drummer in a dimly lit dark bar, gloomy corners"


@pytest.mark.parametrize(
    ("template", "prompt", "how", "rewritten"),
    [
        # Brighter, unless slight, drops the gloom too; darker never touches it.
        ("brighter", BAR, "normal",
         "A drummer in a brightly lit bar, corners, brighter lighting, lifted exposure"),
        ("brighter", BAR, "strong",
         "A drummer in a brightly lit bar, corners, much brighter lighting, high exposure"),
        ("brighter", BAR, "slight",
         "A drummer in a brightly lit dark bar, gloomy corners, slightly brighter lighting"),
        ("darker", BAR, "normal",
         "A drummer in a dimly lit dark bar, gloomy corners, darker lighting, deeper shadows"),
        ("less_motion", "A dark alley, dark jacket", "normal",
         "A dark alley, dark jacket, calm, steady framing with minimal movement"),
        # One closing clause per template: another degree's and the opposite's give way.
        ("brighter", "A bar, brighter lighting, lifted exposure", "strong",
         "A bar, much brighter lighting, high exposure"),
        ("brighter", "A bar, slightly brighter lighting", "strong",
         "A bar, much brighter lighting, high exposure"),
        ("brighter", "A bar, slightly brighter lighting", "normal",
         "A bar, brighter lighting, lifted exposure"),
        ("brighter", "A bar, brighter lighting, lifted exposure", "slight",
         "A bar, slightly brighter lighting"),
        ("brighter", "A bar, darker lighting, deeper shadows", "normal",
         "A bar, brighter lighting, lifted exposure"),
        # Time of day: said once, and what only the other time has goes.
        ("nighttime", "A rooftop party", "normal", "A rooftop party, at night, nighttime lighting"),
        ("nighttime", "A rooftop party at night", "normal",
         "A rooftop party at night, nighttime lighting"),
        ("daytime", "A rooftop party", "normal",
         "A rooftop party, during the day, natural daylight"),
        ("daytime", "A rooftop in the morning", "normal", "A rooftop in the morning, natural daylight"),
        ("daytime", "A dark alley under the moon, starry sky", "normal",
         "An alley, blue sky, during the day, natural daylight"),
    ],
)
def test_a_template_rewrites_the_prompt_in_its_own_words(
    template: str, prompt: str, how: str, rewritten: str
) -> None:
    assert rewrite_for_template(template, prompt, how) == rewritten


# (prompt, target): the prompt moved to the target time of day.
RETIMED = {
    ("A rooftop at noon, harsh midday sun", "golden hour"): "A rooftop at golden hour",
    ("A rooftop at noon, harsh midday sun", "late evening"): "A rooftop at late evening",
    ("A rooftop at noon under the moon", "late evening"): "A rooftop at late evening under the moon",
    ("A rooftop party", "Dawn "): "A rooftop party, at dawn",
    ("A rooftop in the morning, starry sky", "afternoon"): "A rooftop in the afternoon",
}


@pytest.mark.parametrize("case", RETIMED)
def test_retime_replaces_the_old_time_and_what_contradicts_the_new(case: tuple[str, str]) -> None:
    assert retime(*case) == RETIMED[case]


def test_resolve_time_adds_nothing_the_prompt_already_says() -> None:
    assert resolve_time("A rooftop at sunset, pink sky", "nighttime") == "A rooftop at night"
    assert resolve_time("A rooftop at sunset", "dusk") == "A rooftop at dusk"


def test_only_times_of_day_have_contradictions() -> None:
    assert drop_contradictions("A dark alley, the moon overhead", "daytime") == "An alley"
    assert drop_contradictions("A dark alley, the moon overhead", "brighter") == (
        "A dark alley, the moon overhead"
    )
