"""finalize_plan: the guarantees applied to any planner's suggestion, and its parts."""

from __future__ import annotations

import random
from decimal import Decimal
from uuid import UUID

import pytest

from workflows.decisions import finalize_plan
from workflows.decisions.negative_prompts import negative_addition
from workflows.decisions.seeds import VEO_SEED_MAX
from workflows.decisions.veo_models import CATALOGUE, estimate_cost, shortest_duration
from workflows.models import PlannerKind
from workflows.step_models import ClipContext, PromptSuggestion

PROMPT = "A band plays on a rooftop at sunset, wide shot"


def context(**overrides) -> ClipContext:
    values = dict(
        job_id=UUID(int=1), clip_index=3, prompt=PROMPT, original_seed=4242
    )
    values.update(overrides)
    return ClipContext(**values)


def suggestion(temperature: float, **overrides) -> PromptSuggestion:
    values = dict(
        prompt=PROMPT + ", at night",
        temperature=temperature,
        reasoning="LLM says so.",
        planner=PlannerKind.LLM,
    )
    values.update(overrides)
    return PromptSuggestion(**values)


def finalize(instruction: str = "make it rain", temperature: float = 0.65, seed: int = 1, **kw):
    return finalize_plan(
        instruction=instruction,
        context=kw.pop("ctx", context()),
        suggestion=kw.pop("sug", suggestion(temperature)),
        rng=random.Random(seed),
        video_model=kw.pop("video_model", "veo-3.1-generate-001"),
        aspect_ratio=kw.pop("aspect_ratio", "16:9"),
    )


@pytest.mark.parametrize(
    ("instruction", "given", "expected"),
    [
        ("regenerate almost exactly the same, avoid weird right arm", 0.6, 0.25),
        ("keep everything identical except fix the blurry face", 0.35, 0.25),
        ("nearly identical please", 0.9, 0.25),
        ("same scene just fix the flicker", 0.5, 0.25),
        ("almost identical", 0.34, 0.34),  # below 0.35: already precise, left alone
        ("keep everything the same but make her jacket red", 0.38, 0.38),  # low band, not "almost"
        ("this is not almost the same at all, redo it", 0.9, 0.9),  # negated
    ],
)
def test_sameness_refinement(instruction: str, given: float, expected: float) -> None:
    plan = finalize(instruction, given)
    assert plan.temperature == pytest.approx(expected)
    assert ("lowered temperature" in plan.reasoning.lower()) == (expected != given)


@pytest.mark.parametrize(("given", "expected"), [(-0.2, 0.0), (1.7, 1.0), (float("nan"), 0.7)])
def test_temperature_is_clamped(given: float, expected: float) -> None:
    plan = finalize(temperature=given)
    assert plan.temperature == expected
    assert "temperature" in plan.reasoning.lower()


@pytest.mark.parametrize(
    ("temperature", "original_seed", "reused"),
    [
        (0.3, 4242, True),
        (0.49, 4242, True),
        (0.5, 4242, False),
        (0.9, 4242, False),
        (0.3, None, False),
        (0.3, -5, False),
        (0.3, VEO_SEED_MAX + 1, False),
    ],
)
def test_seed_rule(temperature: float, original_seed: int | None, reused: bool) -> None:
    plan = finalize(temperature=temperature, ctx=context(original_seed=original_seed))
    assert plan.seed_reused is reused
    if reused:
        assert plan.seed == original_seed
    else:
        assert 0 <= plan.seed <= VEO_SEED_MAX
    assert plan.enhance_prompt is (temperature >= 0.5)


def test_fresh_seed_comes_from_the_rng_passed_in() -> None:
    a, b, c = finalize(seed=11), finalize(seed=11), finalize(seed=12)
    assert a.seed == b.seed == random.Random(11).randint(0, VEO_SEED_MAX)
    assert a.seed != c.seed


@pytest.mark.parametrize(
    ("target", "seconds"),
    [
        (0.5, 4),
        (4.0, 4),
        (4.01, 6),
        (6.0, 6),
        (7.2, 8),
        (8.0, 8),
        (12.5, 8),
        (0.0, 8),
        (-3.0, 8),
        (float("nan"), 8),
    ],
)
def test_duration_maps_to_what_veo_accepts(target: float, seconds: int) -> None:
    assert shortest_duration((4, 6, 8), target) == seconds


def test_plan_duration_comes_from_the_clip() -> None:
    plan = finalize(ctx=context(target_duration=5.0))
    assert (plan.duration_seconds, plan.generated_seconds, plan.delivered_seconds) == (6, 6, 5.0)
    for fractional in (5.5, 3.25, 7.96):  # a slot is delivered as it is, never rounded
        plan = finalize(ctx=context(target_duration=fractional))
        assert plan.delivered_seconds == fractional == plan.cut_to_seconds()
        assert plan.generated_seconds == shortest_duration((4, 6, 8), fractional)


def test_references_force_8_seconds_trimmed_to_the_clip_and_cost_what_is_generated() -> None:
    plan = finalize(ctx=context(target_duration=4.0, scene_reference_urls=["s1"]))
    assert plan.reference_image_urls == ["s1"]
    assert (plan.duration_seconds, plan.generated_seconds, plan.delivered_seconds) == (8, 8, 4.0)
    assert plan.cost_estimate_usd == Decimal("3.20")  # 8 s at 0.40, not 4 s
    assert "reference images need 8 s videos" in plan.reasoning.lower()


@pytest.mark.parametrize(
    ("model", "aspect", "why"),
    [
        ("veo-3.1-generate-001", "9:16", "only at 16:9, not 9:16"),
        ("veo-3.1-fast-generate-001", "16:9", "does not take reference images"),
    ],
)
def test_references_the_model_or_aspect_cannot_take_are_dropped_with_the_reason(
    model: str, aspect: str, why: str
) -> None:
    plan = finalize(video_model=model, aspect_ratio=aspect,
                    ctx=context(target_duration=4.0, scene_reference_urls=["s1"]))
    assert plan.reference_image_urls == []
    assert (plan.generated_seconds, plan.delivered_seconds) == (4, 4.0)
    assert "reference images dropped" in plan.reasoning.lower() and why in plan.reasoning


def test_reference_images_scene_first_then_characters_at_most_three() -> None:
    ctx = context(
        scene_reference_urls=["s1", "s2"],
        character_reference_urls=["c1", "s1", "", "c2", "c3"],
    )
    assert finalize(ctx=ctx).reference_image_urls == ["s1", "s2", "c1"]
    assert finalize(ctx=context(character_reference_urls=["c1"])).reference_image_urls == ["c1"]


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("regenerate almost exactly the same, avoid weird right arm", ["weird right arm"]),
        ("keep everything identical except fix the blurry face", ["blurry face"]),
        (
            "almost identical but correct the extra finger on her left hand",
            ["extra finger on left hand"],
        ),
        ("just fix her hand", ["distorted hand"]),
        ("nearly identical please, the guitar strings look wrong", ["distorted guitar strings"]),
        ("fix the text on the sign", ["garbled text on sign"]),
        ("make it brighter", []),
        ("fix the lighting", []),
        ("remove the stars from his shirt", ["stars"]),  # a removed thing stays out
        ("lose the crowd, I want her alone", ["crowd"]),
        ("no smoke please", ["smoke"]),
        ("don't change anything, without changing the rest", []),
    ],
)
def test_negative_addition(instruction: str, expected: list[str]) -> None:
    assert negative_addition(instruction) == expected


def test_negative_prompt_merges_clip_suggestion_and_instruction_without_repeats() -> None:
    plan = finalize(
        "avoid weird right arm and avoid text",
        ctx=context(negative_prompt="text, watermark"),
        sug=suggestion(0.3, negative_prompt="Watermark, blurry"),
    )
    assert plan.negative_prompt == "text, watermark, blurry, weird right arm"


def test_no_negative_prompt_at_all_stays_none() -> None:
    assert finalize("make it rain").negative_prompt is None


@pytest.mark.parametrize(
    ("model", "seconds", "usd"),
    [
        ("veo-3.1-generate-001", 8, "3.20"),
        ("veo-3.1-fast-generate-001", 8, "1.20"),
        ("veo-3.1-generate-001", 4, "1.60"),
        ("veo-3.1-fast-generate-001", 6, "0.90"),
    ],
)
def test_cost_estimate(model: str, seconds: int, usd: str) -> None:
    assert estimate_cost(model, seconds) == Decimal(usd)


def test_every_catalogue_row_cites_its_page_and_prices_what_it_generates() -> None:
    for model_id, model in CATALOGUE.items():
        assert model.source.startswith("https://docs.cloud.google.com/")
        assert estimate_cost(model_id, 8) == (model.price_per_second_usd * 8).quantize(
            Decimal("0.01"))


def test_plan_carries_the_suggestion_and_the_model() -> None:
    plan = finalize(
        video_model="veo-3.1-fast-generate-001",
        sug=suggestion(0.75, template_id="nighttime", planner=PlannerKind.TEMPLATE),
    )
    assert (plan.prompt, plan.template_id, plan.planner) == (
        PROMPT + ", at night",
        "nighttime",
        PlannerKind.TEMPLATE,
    )
    assert plan.video_model == "veo-3.1-fast-generate-001"
    assert plan.cost_estimate_usd == Decimal("1.20")


def test_blank_suggested_prompt_falls_back_to_the_clip_prompt() -> None:
    plan = finalize(sug=suggestion(0.6, prompt="   "))
    assert plan.prompt == PROMPT
    assert "empty prompt" in plan.reasoning
