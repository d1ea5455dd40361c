"""Only Retake's own rules can make it pay: inputs that only Retake may set, and the
request shape Veo is paid for, checked whoever built them. Pure (the workflow passes the
server-set parent; the submit activity passes the request).

Every Temporal client in any language can start a run with any JSON, so an internal
field is accepted only from the sender who may set it, and that sender is known from
`workflow.info().parent`, which only the server sets: a start by a client has no parent.
"""

from __future__ import annotations

from workflows.conventions import batch_workflow_id, workflow_id_for
from workflows.decisions.veo_models import (
    estimate_cost,
    model_problem,
    request_problems,
)
from workflows.step_models import GenerationRequest, LateCollectionRequest, Plan

MAX_PROMPT_CHARS = 4000  # far above any planned prompt; a bigger one was not planned here
MAX_SEED = 2**32 - 1  # Veo's seed is an unsigned 32-bit integer (Vertex API reference)
REFERENCE_SCHEMES = ("https://", "http://", "gs://")
MAX_NAMED_REFERENCES = 10  # a clip's scene and characters; Veo takes 3 of them at most


def approved_plan_problem(job_id, parent_workflow_id: str | None) -> str | None:
    """`approved_plan` is the batch's: only a RegenerateClipsWorkflow of the same job sets it."""
    if parent_workflow_id == batch_workflow_id(job_id):
        return None
    return (
        "approved_plan is internal (set only by RegenerateClipsWorkflow of the same job, "
        "for the plan its caller confirmed): leave it out, and Retake plans the clip itself "
        "(use options.confirm_first to see the plan before paying)"
    )


def plan_problems(plan: Plan, aspect_ratio: str, known_references: list[str]) -> list[str]:
    """What is wrong with a plan that did not come from this run's planner."""
    found = list(request_problems(plan.video_model, plan.duration_seconds, aspect_ratio,
                                  len(plan.reference_image_urls)))
    if not found and plan.cost_estimate_usd != estimate_cost(
            plan.video_model, plan.generated_seconds, plan.generate_audio):
        found.append("cost_estimate_usd does not match the model catalogue")
    if not 0.0 <= plan.temperature <= 1.0:
        found.append("temperature must be within 0-1")
    if not 0 <= plan.seed <= MAX_SEED:
        found.append(f"seed must be within 0-{MAX_SEED}")
    if not plan.prompt.strip() or len(plan.prompt) > MAX_PROMPT_CHARS:
        found.append(f"prompt must be 1-{MAX_PROMPT_CHARS} characters")
    if plan.duration_seconds != plan.generated_seconds:
        found.append("duration_seconds must equal generated_seconds")
    if not 0 < plan.delivered_seconds <= plan.generated_seconds:
        found.append("delivered_seconds must be above 0 and at most generated_seconds")
    unknown = [u for u in plan.reference_image_urls if u not in known_references]
    if unknown:
        found.append("reference_image_urls must be the clip's own references (from its job)")
    return found


def collector_problems(req: LateCollectionRequest, parent_workflow_id: str | None) -> list[str]:
    """A late collector runs only as the child of that clip's regeneration, for that
    regeneration's own submissions."""
    clip_id = workflow_id_for(req.job_id, req.clip_index)
    found = []
    if parent_workflow_id != clip_id:
        found.append(
            "CollectLateVideoWorkflow is internal: only the regeneration of the clip "
            f"({clip_id}) starts it"
        )
    for field, value in (("submission_id", req.submission_id),
                         ("regeneration_id", req.regeneration_id)):
        if not value.startswith(clip_id + "/"):
            found.append(f"{field} must belong to a regeneration of clip {req.clip_index}")
    return found


def generation_problems(req: GenerationRequest) -> list[str]:
    """Re-checked at the door that pays: what Veo must not be paid for, whatever built it."""
    if problem := model_problem(req.model):
        return [problem]
    # References the model cannot take are dropped by the backend (and said in the echo),
    # never paid for; here only how many may be named and where they may come from.
    found = list(request_problems(req.model, req.duration_seconds, req.aspect_ratio, 0))
    if len(req.reference_image_urls) > MAX_NAMED_REFERENCES:
        found.append(f"at most {MAX_NAMED_REFERENCES} reference images may be named")
    if not 0 <= req.seed <= MAX_SEED:
        found.append(f"seed must be within 0-{MAX_SEED}")
    if not req.prompt.strip() or len(req.prompt) > MAX_PROMPT_CHARS:
        found.append(f"prompt must be 1-{MAX_PROMPT_CHARS} characters")
    if req.negative_prompt is not None and len(req.negative_prompt) > MAX_PROMPT_CHARS:
        found.append(f"negative_prompt must be at most {MAX_PROMPT_CHARS} characters")
    if req.delivered_seconds is not None and not 0 < req.delivered_seconds <= req.duration_seconds:
        found.append("delivered_seconds must be above 0 and at most duration_seconds")
    if req.temperature is not None and not 0.0 <= req.temperature <= 1.0:
        found.append("temperature must be within 0-1")
    if any(not u.startswith(REFERENCE_SCHEMES) for u in req.reference_image_urls):
        found.append("reference images must be https, http or gs:// URLs")
    return found
