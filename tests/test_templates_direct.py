"""A template's temperature by how strongly it is asked, with literal values
(workflows/decisions/templates.py; the bands are pinned in test_seed_temperature_rules)."""

from __future__ import annotations

import dataclasses

import pytest

from workflows.decisions.templates import TEMPLATES, degree, match_template

PROMPT = "A band plays on a rooftop at sunset"


@pytest.mark.parametrize(
    ("instruction", "how", "temperature", "wording"),
    [
        ("make it brighter", "normal", 0.65,
         "Template 'brighter': one simple brightness increase; moderate band."),
        ("make it much brighter", "strong", 0.7,
         "Template 'brighter': one simple brightness increase asked strongly; moderate band."),
        ("make it a bit brighter", "slight", 0.45,
         "Template 'brighter': one simple brightness increase with an intensity word; "
         "medium_low band."),
        ("make it night", "normal", 0.75,
         "Template 'nighttime': one simple time of day change to night; medium_high band."),
        ("make it way darker", "strong", 0.7,
         "Template 'darker': one simple brightness decrease asked strongly; moderate band."),
    ],
)
def test_the_temperature_follows_the_degree(
    instruction: str, how: str, temperature: float, wording: str
) -> None:
    assert degree(instruction) == how
    suggestion = match_template(instruction, PROMPT)
    assert suggestion is not None
    assert (suggestion.temperature, suggestion.reasoning) == (temperature, wording)


def test_a_template_is_a_frozen_value_whose_repr_skips_the_compiled_patterns() -> None:
    brighter = TEMPLATES[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        brighter.band = "high"  # type: ignore[misc]
    assert "compiled" not in repr(brighter) and "re.compile" not in repr(brighter)
