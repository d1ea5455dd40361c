"""What was submitted is what is saved: Plan <-> Veo's echo <-> PersistRequest, written once.

The submit activity echoes the request Veo accepted (`Submission.request`). On a replay or
a reset the plan this code recomputes can differ from it, so results and saved versions
take every generation fact from the echo, and the plan only where an old echo lacks one.
The regeneration and the late collector both save through `version_to_save`.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.step_models import PersistRequest, Plan, StoredVideo, SubmittedRequest


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
    )
