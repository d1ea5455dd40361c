"""parse_llm_text_reply (the non-JSON fallback) and sanitise_prompt (the filter retry)."""

from __future__ import annotations

import pytest

from activities.planner.llm_text_reply import parse_llm_text_reply
from workflows.decisions import sanitise_prompt
from workflows.models import PlannerKind

ORIGINAL = "A band plays on a rooftop at sunset"


@pytest.mark.parametrize(
    ("reply", "prompt", "temperature"),
    [
        (
            "Prompt: A band plays on a rooftop at night\nTemperature: 0.75\nReasoning: time of day",
            "A band plays on a rooftop at night",
            0.75,
        ),
        (
            '```json\n{"prompt": "A band at night", "temperature": 0.4, "reasoning": "x",}\n```',
            "A band at night",
            0.4,
        ),
        (
            "**New prompt:** A band at dawn\nI'd use a temperature of .3 here.",
            "A band at dawn",
            0.3,
        ),
        ("New prompt: A band at dawn\nLet's keep it at temperature = 1", "A band at dawn", 1.0),
        ("Sure! I made it darker, which should look great.", ORIGINAL, 0.7),
        ("Prompt: A band at dusk\nTemperature: high", "A band at dusk", 0.7),
        ("Prompt: A band at dusk\ntemperature 7 out of 10", "A band at dusk", 0.7),
        ("", ORIGINAL, 0.7),
    ],
)
def test_text_reply_parsing(reply: str, prompt: str, temperature: float) -> None:
    suggestion = parse_llm_text_reply(reply, ORIGINAL)
    assert suggestion.prompt == prompt
    assert suggestion.temperature == temperature
    assert suggestion.planner is PlannerKind.LLM
    assert suggestion.parsed_as_json is False
    assert "not the expected JSON" in suggestion.reasoning


def test_text_reply_keeps_stated_reasoning() -> None:
    suggestion = parse_llm_text_reply("Prompt: x\nReasoning: a precise hair change", ORIGINAL)
    assert suggestion.reasoning.startswith("a precise hair change")


@pytest.mark.parametrize(
    ("prompt", "reasons", "gone", "kept"),
    [
        (
            "A soldier fires a gun, blood on the street, at night",
            ["Support codes: 61493863"],
            ["gun", "blood"],
            ["soldier", "at night"],
        ),
        (
            "A sexy dancer in lingerie on a stage",
            ["violates policy: sexual content"],
            ["sexy", "lingerie"],
            ["dancer", "stage"],
        ),
        (
            "A little girl and two kids play in a park",
            ["Support codes: 58061214"],
            ["girl", "kids"],
            ["park"],
        ),
        (
            "A crowd at a concert with drugs and a knife",
            ["unknown reason 12345678"],
            ["drugs", "knife"],
            ["crowd", "concert"],
        ),
    ],
)
def test_sanitise_drops_or_softens_risky_words(
    prompt: str, reasons: list[str], gone: list[str], kept: list[str]
) -> None:
    cleaned = sanitise_prompt(prompt, reasons)
    for word in gone:
        assert word not in cleaned.lower().split(), cleaned
    for word in kept:
        assert word in cleaned, cleaned


def test_sanitise_only_touches_the_filtered_category() -> None:
    cleaned = sanitise_prompt("A kid holds a sword", ["Support codes: 58061214"])
    assert "sword" in cleaned and "kid" not in cleaned.split()


def test_sanitise_celebrity_asks_for_fictional_characters() -> None:
    cleaned = sanitise_prompt("A famous singer performs", ["Support codes: 29310472"])
    assert "original fictional characters" in cleaned


def test_sanitise_is_deterministic_and_idempotent() -> None:
    prompt, reasons = "Bloody fight with guns at sunset", ["61493863"]
    once = sanitise_prompt(prompt, reasons)
    assert once == sanitise_prompt(prompt, reasons)
    assert sanitise_prompt(once, reasons) == once
