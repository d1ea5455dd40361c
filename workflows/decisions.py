"""The decision engine's one entry point: turn a suggestion into the final Plan.

A suggestion (template, offline rules or the LLM) says prompt, temperature and why; the
pure refinement here applies the policy's guarantees whatever the planner said: clamp
into [0, 1], lower "almost exactly the same" requests into very_low, reuse or draw the
seed, switch Veo's prompt enhancer off for precise changes, pick duration and reference
images, merge the negative prompt and estimate the cost. No I/O, no clock, no global
randomness: safe inside the workflow and the same on replay.
"""

from __future__ import annotations

import random
from uuid import UUID

from workflows.costs import estimate_cost, is_known_model, price_per_second
from workflows.llm_text_reply import parse_llm_text_reply
from workflows.models import DEFAULT_VIDEO_MODEL, ClipContext, Plan, PromptSuggestion
from workflows.negative_prompts import merge_negative_prompts, negative_addition
from workflows.offline_planner import offline_suggestion
from workflows.sanitise import sanitise_prompt
from workflows.seeds import choose_seed
from workflows.temperature import SEED_REUSE_BELOW, clamp_temperature, refine_for_sameness
from workflows.templates import TEMPLATE_IDS, match_template
from workflows.veo_limits import pick_reference_images, veo_duration

__all__ = [
    "TEMPLATE_IDS",
    "estimate_cost",
    "finalize_plan",
    "match_template",
    "offline_suggestion",
    "parse_llm_text_reply",
    "plan_instruction",
    "sanitise_prompt",
    "veo_duration",
]

_STANDALONE_JOB = UUID(int=0)  # plan_instruction has no job: a fixed id keeps it deterministic


def finalize_plan(
    *,
    instruction: str,
    context: ClipContext,
    suggestion: PromptSuggestion,
    rng: random.Random,
    video_model: str,
) -> Plan:
    """The policy's guarantees applied to a planner's suggestion; `rng` draws fresh seeds."""
    notes: list[str] = []
    temperature, note = clamp_temperature(suggestion.temperature)
    notes.append(note)
    temperature, note = refine_for_sameness(instruction, temperature)
    notes.append(note)
    seed, seed_reused, seed_note = choose_seed(temperature, context.original_seed, rng)
    notes.append(seed_note)
    duration = veo_duration(context.target_duration)
    if not is_known_model(video_model):
        notes.append(
            f"unknown video model {video_model!r}: cost estimated at the highest known price "
            f"({price_per_second(video_model)} USD/s)"
        )
    prompt = suggestion.prompt.strip() or context.prompt
    if prompt != suggestion.prompt.strip():
        notes.append("planner returned an empty prompt; kept the original")
    reasoning = " ".join(
        [suggestion.reasoning.strip(), *(n[0].upper() + n[1:] + "." for n in notes if n)]
    )
    return Plan(
        prompt=prompt,
        negative_prompt=merge_negative_prompts(
            context.negative_prompt, suggestion.negative_prompt, negative_addition(instruction)
        ),
        temperature=temperature,
        reasoning=reasoning.strip(),
        seed=seed,
        seed_reused=seed_reused,
        template_id=suggestion.template_id,
        planner=suggestion.planner,
        duration_seconds=duration,
        reference_image_urls=pick_reference_images(
            context.scene_reference_urls, context.character_reference_urls
        ),
        enhance_prompt=temperature >= SEED_REUSE_BELOW,
        video_model=video_model,
        cost_estimate_usd=estimate_cost(video_model, duration),
    )


def plan_instruction(
    instruction: str,
    prompt: str,
    original_seed: int | None,
    rng: random.Random,
    *,
    target_duration: float = 8.0,
    video_model: str = DEFAULT_VIDEO_MODEL,
) -> Plan:
    """Template, else the offline planner, then the refinement: used by the CLI and eval."""
    suggestion = match_template(instruction, prompt) or offline_suggestion(instruction, prompt)
    context = ClipContext(
        job_id=_STANDALONE_JOB,
        clip_index=0,
        total_clips=1,
        prompt=prompt,
        original_seed=original_seed,
        target_duration=target_duration,
    )
    return finalize_plan(
        instruction=instruction,
        context=context,
        suggestion=suggestion,
        rng=rng,
        video_model=video_model,
    )
