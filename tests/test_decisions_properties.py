"""Property tests: for any instruction and prompt, the plan keeps the policy's invariants."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from activities.planner.offline_planner import plan_offline
from workflows.decisions import finalize_plan
from workflows.decisions.seeds import VEO_SEED_MAX
from workflows.models import PlannerKind
from workflows.step_models import ClipContext, PromptSuggestion

WORDS = [
    "make",
    "it",
    "a",
    "bit",
    "brighter",
    "darker",
    "nighttime",
    "day",
    "keep",
    "everything",
    "the",
    "same",
    "but",
    "only",
    "just",
    "almost",
    "identical",
    "fix",
    "hand",
    "start",
    "over",
    "don't",
    "and",
    "add",
    "fog",
    "more",
    "motion",
    "less",
    "slightly",
    "completely",
    "different",
    "lighting",
    "sunset",
    "redo",
    "nightclub",
    "sign",
    ",",
    "please",
]
instructions = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.text(max_size=80),
)
prompts = st.text(min_size=1, max_size=120)
seeds = st.one_of(st.none(), st.integers(min_value=0, max_value=VEO_SEED_MAX))
common = settings(max_examples=150, deadline=None)
# (instruction, prompt, original_seed, seed of the random source)
planning_inputs = st.tuples(instructions, prompts, seeds, st.integers())


def plan_for(inputs: tuple[str, str, int | None, int]):
    instruction, prompt, original_seed, rng_seed = inputs
    return plan_offline(instruction, prompt, original_seed, random.Random(rng_seed))


@common
@given(planning_inputs)
def test_plan_invariants(inputs: tuple[str, str, int | None, int]) -> None:
    plan, original_seed = plan_for(inputs), inputs[2]
    assert 0.0 <= plan.temperature <= 1.0
    assert plan.seed_reused == (plan.temperature < 0.5 and original_seed is not None)
    assert plan.seed == original_seed if plan.seed_reused else 0 <= plan.seed <= VEO_SEED_MAX
    assert plan.enhance_prompt == (plan.temperature >= 0.5)
    assert plan.duration_seconds in (4, 6, 8)
    assert plan.prompt


@common
@given(planning_inputs)
def test_same_inputs_same_plan(inputs: tuple[str, str, int | None, int]) -> None:
    assert plan_for(inputs) == plan_for(inputs)


@common
@given(
    instructions,
    st.floats(allow_nan=True, allow_infinity=True),
    seeds,
    st.floats(min_value=-10, max_value=30, allow_nan=False),
    st.lists(st.text(max_size=5), max_size=6),
)
def test_any_llm_temperature_is_made_safe(
    instruction: str, temperature: float, original_seed: int | None, target: float, urls: list[str]
) -> None:
    plan = finalize_plan(
        instruction=instruction,
        context=ClipContext(
            job_id="00000000-0000-0000-0000-000000000001",
            clip_index=0,
            prompt="p",
            original_seed=original_seed,
            target_duration=target,
            scene_reference_urls=urls,
            character_reference_urls=urls,
        ),
        suggestion=PromptSuggestion(
            prompt="q", temperature=temperature, reasoning="r", planner=PlannerKind.LLM
        ),
        rng=random.Random(0),
        video_model="veo-3.1-generate-001",
    )
    assert 0.0 <= plan.temperature <= 1.0
    assert plan.seed_reused == (plan.temperature < 0.5 and original_seed is not None)
    assert len(plan.reference_image_urls) <= 3
    assert len(set(plan.reference_image_urls)) == len(plan.reference_image_urls)
    # Veo's rules hold for any clip: references force 8 s; never deliver more than generated.
    assert not plan.reference_image_urls or plan.generated_seconds == 8
    assert 0 < plan.delivered_seconds <= plan.generated_seconds == plan.duration_seconds
