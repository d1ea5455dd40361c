"""What was submitted is what is saved: Plan <-> Veo's echo <-> PersistRequest, written once.

The submit activity echoes the request Veo accepted (`Submission.request`). On a replay or
a reset the plan this code recomputes can differ from it, so results and saved versions
take every generation fact from the echo, and the plan only where an old echo lacks one.
The regeneration and the late collector both save through `version_to_save`.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.continuity_step import frames_of
    from workflows.decisions.veo_models import estimate_cost, model_for
    from workflows.models import RegenerateClipInput
    from workflows.step_models import (
        GenerationRequest,
        PersistRequest,
        Plan,
        StoredVideo,
        SubmittedRequest,
    )


def generation_request(inp: RegenerateClipInput, plan: Plan,
                       regeneration_id: str) -> GenerationRequest:
    """What the submit step sends for `plan`: every paid fact from the plan the user saw."""
    return GenerationRequest(
        regeneration_id=regeneration_id,
        job_id=inp.job_id,
        clip_index=inp.clip_index,
        model=plan.video_model,
        prompt=plan.prompt,
        negative_prompt=plan.negative_prompt,
        seed=plan.seed,
        duration_seconds=plan.duration_seconds,
        aspect_ratio=inp.options.aspect_ratio,
        resolution=inp.options.resolution,
        account_id=inp.account_id,
        reference_image_urls=plan.reference_image_urls,
        enhance_prompt=plan.enhance_prompt,
        delivered_seconds=plan.cut_to_seconds(),
        policy_version=plan.policy_version,
        temperature=plan.temperature,
        generate_audio=plan.generate_audio,
        **frames_of(plan),
    )


def as_submitted(plan: Plan, sent: SubmittedRequest | None) -> Plan:
    """The plan as Veo received it (`sent` is None only in histories before the echo)."""
    if sent is None:
        return plan
    update = {
        "prompt": sent.prompt,
        "negative_prompt": sent.negative_prompt,
        "seed": sent.seed,
        "duration_seconds": sent.duration_seconds,
        "reference_image_urls": sent.reference_image_urls,
        "enhance_prompt": sent.enhance_prompt,
        "video_model": sent.model,
    }
    if sent.temperature is not None:
        update["temperature"] = sent.temperature
    if sent.policy_version is not None:
        update["policy_version"] = sent.policy_version
    if plan.continuity is not None and (sent.first_frame or sent.last_frame):  # the frames sent
        update["continuity"] = plan.continuity.model_copy(update={
            "first_frame": sent.first_frame, "last_frame": sent.last_frame, "keep": sent.keep})
    # Priced as sent (model, seconds, sound), as the ledger reserved it, not as re-planned.
    update["generate_audio"] = sent.generate_audio
    update["cost_estimate_usd"] = estimate_cost(sent.model, sent.duration_seconds,
                                                sent.generate_audio)
    model = model_for(sent.model)
    update["price_per_second_usd"] = model.price_per_second(sent.generate_audio)
    update["price_source"] = model.price_source(sent.generate_audio)
    if sent.references_dropped:  # references the submit could not use, and why
        update["reasoning"] = (
            f"{plan.reasoning} Reference images not sent: {'; '.join(sent.references_dropped)}."
        ).strip()
    return plan.model_copy(update=update)


def version_to_save(
    *,
    job_id,
    clip_index: int,
    regeneration_id: str,
    user_instruction: str,
    stored: StoredVideo,
    sent: SubmittedRequest | None,
    plan: Plan | None,
    generation_seconds: float | None = None,
    make_current: bool = True,
) -> PersistRequest:
    """The version row for a stored video: from the echo, else the plan; a fact neither
    knows is saved as unknown (NULL), never as an invented 0 or empty prompt."""
    facts = as_submitted(plan, sent) if plan is not None else None
    if facts is not None:
        prompt, negative, seed = facts.prompt, facts.negative_prompt, facts.seed
        temperature, seconds = facts.temperature, float(facts.generated_seconds)
        cost, policy = facts.cost_estimate_usd, facts.policy_version
    elif sent is not None:
        prompt, negative, seed = sent.prompt, sent.negative_prompt, sent.seed
        temperature, seconds = sent.temperature, float(sent.duration_seconds)
        cost, policy = None, sent.policy_version
    else:
        prompt = negative = seed = temperature = seconds = cost = policy = None
    return PersistRequest(
        job_id=job_id,
        clip_index=clip_index,
        regeneration_id=regeneration_id,
        video_url=stored.url,
        prompt=prompt,
        negative_prompt=negative,
        user_instruction=user_instruction,
        seed=seed,
        temperature=temperature,
        # The entry describes the new clip: the stored video's length (cut to the slot,
        # or whole as generated).
        duration_seconds=stored.trimmed_to_seconds or seconds,
        cost_usd=cost,
        generation_seconds=generation_seconds,
        policy_version=policy,
        make_current=make_current,
        continuity=joined_to(sent, facts),
    )


def joined_to(sent: SubmittedRequest | None, plan: Plan | None) -> dict | None:
    """The frames the paid request carried (the echo, or the plan made from it), as saved
    with the version: which neighbour versions it was joined to."""
    joined = plan.continuity if plan is not None else None
    first = sent.first_frame if sent is not None else joined.first_frame if joined else None
    last = sent.last_frame if sent is not None else joined.last_frame if joined else None
    if first is None and last is None:
        return None
    return {
        "used": joined.used if joined is not None else None,
        "keep": sent.keep if sent is not None else joined.keep,
        "first_frame": first.model_dump() if first else None,
        "last_frame": last.model_dump() if last else None,
    }
