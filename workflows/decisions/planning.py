"""Planning, the one path: template, else ask the planner, then the policy's guarantees.

`plan_clip` is what the workflow, the offline CLI and the benchmarks all run. Only the
planner call differs (a local activity in the workflow, the offline rules elsewhere).
`finalize_plan` applies the policy whatever the planner said: clamp into [0, 1], lower
"almost exactly the same" requests into very_low, reuse or draw the seed, switch Veo's
prompt enhancer off for precise changes, decide generated and delivered seconds and the
reference images under the model's rules (veo_limits.py, veo_models.py), merge the
negative prompt and estimate the cost of what is generated. No I/O, no clock, no global randomness: safe
inside the workflow and the same on replay.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import replace

from workflows.continuity_models import Continuity
from workflows.decisions import policy_version
from workflows.decisions.chat_words import without_chat
from workflows.decisions.continuity import (
    asked_continuity,
    plan_continuity,
    read_continuity,
    without_continuity_words,
)
from workflows.decisions.negative_prompts import merge_negative_prompts, negative_addition
from workflows.decisions.plan_summary import plan_summary
from workflows.decisions.seeds import choose_seed
from workflows.decisions.temperature import SEED_REUSE_BELOW, clamp_temperature, refine_for_sameness
from workflows.decisions.templates import match_template
from workflows.decisions.unapplied import unapplied_parts, without_refused
from workflows.decisions.veo_limits import generation_shape
from workflows.decisions.veo_models import estimate_cost, model_for, shortest_duration
from workflows.models import ChatMessage, PlannerKind
from workflows.spend_models import BudgetLeft
from workflows.step_models import ClipContext, Plan, PromptRequest, PromptSuggestion

CONVERSATION_WINDOW = 3  # messages the planner sees; older ones add cost, not signal

AskPlanner = Callable[[PromptRequest], Awaitable[PromptSuggestion]]


def finalize_plan(
    *,
    instruction: str,
    context: ClipContext,
    suggestion: PromptSuggestion,
    rng: random.Random,
    video_model: str,
    aspect_ratio: str = "16:9",
    continuity: Continuity = "none",
    generate_audio: bool = True,
    budgets: list[BudgetLeft] | None = None,
) -> Plan:
    """The policy's guarantees applied to a planner's suggestion; `rng` draws fresh seeds.

    `generate_audio` prices the plan (True: as plans made before issue 26); `budgets`
    (what is left of each, as read) is shown with the cost."""
    notes: list[str] = []
    temperature, note = clamp_temperature(suggestion.temperature)
    notes.append(note)
    temperature, note = refine_for_sameness(instruction, temperature)
    notes.append(note)
    seed, seed_reused, seed_note = choose_seed(temperature, context.original_seed, rng)
    notes.append(seed_note)
    shape = generation_shape(
        model_for(video_model),
        aspect_ratio,
        context.target_duration,
        context.scene_reference_urls,
        context.character_reference_urls,
    )
    joined = None
    if context.neighbour_frames is not None:  # resolved only when continuity was asked
        asked, asked_note = asked_continuity(continuity, instruction, context.clip_index)
        joined, durations = plan_continuity(
            asked, context.neighbour_frames, model=model_for(video_model),
            target_seconds=context.target_duration,
            has_references=bool(shape.reference_image_urls),
        )
        if durations is not None:  # frames replace references; lengths follow the frames
            generated = shortest_duration(durations, context.target_duration)
            delivered = min(float(context.target_duration or generated), float(generated))
            shape = replace(shape, generated_seconds=generated, delivered_seconds=delivered,
                            reference_image_urls=[], note="")
        notes += [asked_note, joined.note]
    notes.append(shape.note)
    if context.references_dropped:  # refused by the worker's reference policy on loading
        notes.append("reference images dropped: " + "; ".join(context.references_dropped))
    prompt = suggestion.prompt.strip() or context.prompt
    if prompt != suggestion.prompt.strip():
        notes.append("planner returned an empty prompt; kept the original")
    negative_prompt = merge_negative_prompts(
        context.negative_prompt, suggestion.negative_prompt, negative_addition(instruction)
    )
    unapplied = unapplied_parts(instruction, context.prompt, prompt, negative_prompt,
                                llm=suggestion.planner == PlannerKind.LLM,
                                joined=joined.used if joined is not None else None,
                                clip_index=context.clip_index)
    cleaned = without_refused(prompt, unapplied) or context.prompt
    if cleaned != prompt:
        notes.append("left out of the prompt: text in another language or instructions to "
                      "the system (see unapplied)")
        prompt = cleaned
    plain = without_chat(prompt, context.prompt) or context.prompt
    if plain != prompt:
        notes.append("chat left out of the prompt (politeness, emoji, praise)")
        prompt = plain
    reasoning = " ".join(
        [suggestion.reasoning.strip(), *(n[0].upper() + n[1:] + "." for n in notes if n)]
    )
    cost = estimate_cost(video_model, shape.generated_seconds, generate_audio)
    model = model_for(video_model)
    return Plan(
        prompt=prompt,
        negative_prompt=negative_prompt,
        temperature=temperature,
        reasoning=reasoning.strip(),
        seed=seed,
        seed_reused=seed_reused,
        template_id=suggestion.template_id,
        planner=suggestion.planner,
        duration_seconds=shape.generated_seconds,
        generated_seconds=shape.generated_seconds,
        delivered_seconds=shape.delivered_seconds,
        reference_image_urls=shape.reference_image_urls,
        enhance_prompt=temperature >= SEED_REUSE_BELOW,
        video_model=video_model,
        cost_estimate_usd=cost,
        policy_version=policy_version.POLICY_VERSION,
        summary=plan_summary(instruction, temperature=temperature, seed_reused=seed_reused,
                             generated_seconds=shape.generated_seconds,
                             cost_estimate_usd=cost, unapplied=unapplied,
                             generate_audio=generate_audio, budgets=budgets or []),
        unapplied=unapplied,
        continuity=joined,
        generate_audio=generate_audio,
        price_per_second_usd=model.price_per_second(generate_audio),
        price_source=model.price_source(generate_audio),
        budgets=budgets or [],
    )


async def plan_clip(
    instruction: str,
    context: ClipContext,
    *,
    conversation: list[ChatMessage],
    rng: random.Random,
    video_model: str,
    ask_planner: AskPlanner,
    aspect_ratio: str = "16:9",
    continuity: Continuity = "none",
    generate_audio: bool = True,
    budgets: list[BudgetLeft] | None = None,
) -> Plan:
    """A template when one fits, else the planner's suggestion; then finalize_plan."""
    # Continuity words are decided as frames, never written into the prompt (without the
    # frames, e.g. `plan --offline`, the plan lists them as not applied).
    wants_join = (context.neighbour_frames is not None
                  or read_continuity(instruction, context.clip_index) != "none")
    asked = (without_continuity_words(instruction, context.clip_index) if wants_join
             else instruction)
    suggestion = match_template(asked, context.prompt)
    if suggestion is None:
        suggestion = await ask_planner(
            PromptRequest(
                instruction=asked,
                context=context,
                conversation=conversation[-CONVERSATION_WINDOW:],
            )
        )
    return finalize_plan(
        instruction=instruction,
        context=context,
        suggestion=suggestion,
        rng=rng,
        video_model=video_model,
        aspect_ratio=aspect_ratio,
        continuity=continuity,
        generate_audio=generate_audio,
        budgets=budgets,
    )
