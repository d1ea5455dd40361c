"""One read change applied to a prompt in its own words
(workflows/decisions/change_rewrites.py): each kind's handler on literal prompts, the Change
built by hand so only the rewrite is under test."""

from __future__ import annotations

import pytest

from workflows.decisions.change_reading import Change
from workflows.decisions.change_rewrites import apply_change, contradictions_of

STAGE = "A singer on a stage, wide shot"
SPOTLIT = "A singer under harsh red spotlights, wide shot"
STREET = "An empty street, a man alone"

# (prompt, change): the prompt the change leaves.
APPLIED = {
    # Weather: fair words give way; rain wets, snow chills, wind moves what was still.
    ("A dry sunny street, snowy hills", Change("weather", new="rain falling", detail="rain")):
        "A wet rainy street, rainy hills, rain falling",
    ("A dry sunny street on a warm summer day, rain-soaked roofs",
     Change("weather", new="snow falling", detail="snow")):
        "A snowy street on a cold winter day, snowy roofs, snow falling",
    ("A dry dusty road, harsh midday sun", Change("weather", new="a sandstorm", detail="sandstorm")):
        "A dusty road, a sandstorm",
    ("A calm lake, trees motionless, flags still", Change("weather", new="strong wind", detail="wind")):
        "A windy lake, trees blowing in the wind, flags blowing in the wind, strong wind",
    # A style drops the looks it contradicts, every group's, and goes last.
    ("A photorealistic city, crisp digital look, vibrant colours",
     Change("style", new="anime and black and white style", detail="drawn,mono")):
        "A city, crisp digital look, anime and black and white style",
    ("A city at night, wide shot", Change("style", new="anime style", detail="drawn")):
        "A city at night, wide shot, anime style",
    # Lighting: a light source replaces the old one; a quality replaces qualities and colours.
    ("A singer lit by a neon sign, wide shot", Change("lighting", new="lit by candles")):
        "A singer lit by candles, wide shot",
    ("A singer lit by a neon sign, wide shot", Change("lighting", new="backlit by the sunset")):
        "A singer backlit by the sunset, wide shot",
    (STAGE, Change("lighting", new="soft warm", detail="quality")):
        "A singer on a stage, soft warm lighting, wide shot",
    (STAGE, Change("lighting", new="neon lighting")): "A singer on a stage, neon lighting, wide shot",
    (SPOTLIT, Change("lighting", new="soft", detail="quality")):
        "A singer under soft spotlights, wide shot",
    (SPOTLIT, Change("lighting", new="candlelight")): "A singer under candlelight, wide shot",
    ("A singer under spotlights, wide shot", Change("lighting", new="")):
        "A singer under spotlights, wide shot",
    # A camera change replaces the camera details, and goes last.
    ("A singer on a stage, slow dolly shot, neon signs, cinematic", Change("camera", new="drone shot")):
        "A singer on a stage, neon signs, cinematic, drone shot",
    # Additions: people make a place no longer empty, nor a person alone.
    (STREET, Change("add", new="a crowd", detail="people")): "A street, a man, a crowd",
    (STREET, Change("add", new="a lamp")): "A street, a man alone, a lamp",
    # Clothes: worn over the old ones, or said when there were none.
    ("A man on a street", Change("wear", new="a hat")): "A man on a street, wearing a hat",
    ("A man on a street", Change("wear", new="dressed as a pirate", detail="as")):
        "A man on a street, dressed as a pirate",
    ("A man in a grey suit on a street", Change("wear", new="dressed as a pirate", detail="as")):
        "A man dressed as a pirate on a street",
    ("A man wearing a grey suit on a street", Change("wear", new="a tuxedo")):
        "A man wearing a tuxedo on a street",
    # Actions: the subject's verb and its adverb give way, else the action is described.
    ("The dancers spin slowly in a hall", Change("action", new="freeze", old="dancers")):
        "The dancers freeze in a hall",
    ("The dancers in a hall", Change("action", new="freeze", old="dancers")):
        "The dancers in a hall, dancers freezing",
    ("The dancers in lovely gowns", Change("action", new="freeze", old="dancers")):
        "The dancers in lovely gowns, dancers freezing",  # "in" is no verb, "lovely" no adverb
    ("A hall", Change("action", new="run", old="dancers")): "A hall, dancers running",
    # Attributes and swaps, with their fallbacks when the thing is not in the prompt.
    ("A man in a hat", Change("attribute", new="blue", old="hat")): "A man in a blue hat",
    ("A man in a hat", Change("attribute", new="blue", old="coat")): "A man in a hat, blue coat",
    ("A man with a coat", Change("attribute", new="huge", old="coat")): "A man with a huge coat",
    ("A man in a hat", Change("swap", new="a crown", old="hat")): "A man in a crown",
    ("A man in a hat", Change("swap", new="a crown", old="scarf")): "A man in a hat, a crown",
    ("A man in a hat", Change("describe", new="looking happy")): "A man in a hat, looking happy",
    ("A man in a hat", Change("remove", old="scarf")): "A man in a hat",
    ("A man in a hat on a bench", Change("remove", old="hat")): "A man on a bench",
    ("A man in a hat", Change("template", detail="brighter")):
        "A man in a hat, brighter lighting, lifted exposure",
    ("A man in a hat at noon", Change("time", new="dawn")): "A man in a hat at dawn",
}


@pytest.mark.parametrize("case", APPLIED, ids=lambda case: f"{case[1].kind}:{case[1].new or case[1].old}")
def test_a_change_is_said_in_the_prompts_own_words(case: tuple[str, Change]) -> None:
    assert apply_change(*case) == APPLIED[case]


def test_a_strong_template_is_applied_strongly() -> None:
    assert apply_change("A man in a hat", Change("template", detail="brighter"), "strong") == (
        "A man in a hat, much brighter lighting, high exposure"
    )


def test_weather_already_said_is_not_woven_in_again() -> None:
    fog = Change("weather", new="fog", detail="fog")
    assert contradictions_of("A sunny street, foggy", fog, weave_in=False) == "A foggy street, foggy"


@pytest.mark.parametrize(
    ("verb_phrase", "said"),
    [("touch the ground", "touching the ground"), ("run", "running"), ("dance", "dancing"),
     ("see the sky", "seeing the sky"), ("dye her hair", "dyeing her hair"),
     ("jumping", "jumping")],
)
def test_an_action_is_described_with_its_gerund(verb_phrase: str, said: str) -> None:
    assert apply_change("A hall", Change("action", new=verb_phrase, old="dancers")) == (
        f"A hall, dancers {said}"
    )
