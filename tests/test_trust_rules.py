"""workflows/trust.py, the rules alone: who may set an internal input, and what the
paying door refuses (pure, no Temporal)."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from workflows import conventions, trust
from workflows.decisions.veo_models import estimate_cost
from workflows.step_models import GenerationRequest, LateCollectionRequest, Plan

JOB = uuid4()
MODEL = "veo-3.1-generate-001"


def plan(**changes) -> Plan:
    values = dict(prompt="a street at night", temperature=0.7, reasoning="r", seed=42,
                  seed_reused=False, planner="offline", generated_seconds=8,
                  delivered_seconds=8.0, duration_seconds=8, video_model=MODEL,
                  cost_estimate_usd=estimate_cost(MODEL, 8), reference_image_urls=[])
    values.update(changes)
    return Plan(**values)


def request(**changes) -> GenerationRequest:
    values = dict(regeneration_id=f"{conventions.workflow_id_for(JOB, 0)}/r/0", job_id=JOB,
                  clip_index=0, model=MODEL, prompt="a street at night", seed=42,
                  duration_seconds=8)
    values.update(changes)
    return GenerationRequest(**values)


def test_only_the_jobs_batch_may_send_an_approved_plan():
    assert trust.approved_plan_problem(JOB, conventions.batch_workflow_id(JOB)) is None
    for sender in (None, conventions.batch_workflow_id(uuid4()),
                   conventions.workflow_id_for(JOB, 0), "anything"):
        assert "approved_plan is internal" in trust.approved_plan_problem(JOB, sender)


def test_a_plan_from_the_planner_passes_and_each_forgery_is_named():
    refs = ["https://x/scene.png"]
    assert trust.plan_problems(plan(reference_image_urls=refs), "16:9", refs) == []
    forged = {
        "cost_estimate_usd does not match": dict(cost_estimate_usd=Decimal("0.00")),
        "temperature must be within 0-1": dict(temperature=5.0),
        "seed must be within": dict(seed=-7),
        "prompt must be 1-": dict(prompt="p" * (trust.MAX_PROMPT_CHARS + 1)),
        "duration_seconds must equal": dict(duration_seconds=8, generated_seconds=6,
                                            cost_estimate_usd=estimate_cost(MODEL, 6)),
        "delivered_seconds must be above 0": dict(delivered_seconds=-1.0),
        "the clip's own references": dict(reference_image_urls=["http://127.0.0.1:5432/"]),
        "not one of": dict(duration_seconds=5, generated_seconds=5),
    }
    for says, change in forged.items():
        found = trust.plan_problems(plan(**change), "16:9", refs)
        assert any(says in f for f in found), (says, found)
    assert trust.plan_problems(plan(seed=trust.MAX_SEED), "16:9", []) == []
    assert trust.plan_problems(plan(seed=trust.MAX_SEED + 1), "16:9", []) != []
    assert trust.plan_problems(plan(temperature=1.0), "16:9", []) == []
    assert trust.plan_problems(plan(temperature=0.0, delivered_seconds=8.0), "16:9", []) == []
    assert trust.plan_problems(plan(prompt="p" * trust.MAX_PROMPT_CHARS), "16:9", []) == []
    assert trust.plan_problems(plan(video_model="veo-anything"), "16:9", [])


def test_a_collector_runs_only_as_its_clips_regeneration_child():
    clip = conventions.workflow_id_for(JOB, 2)
    ok = LateCollectionRequest(job_id=JOB, clip_index=2, submission_id=f"{clip}/r/0",
                               regeneration_id=f"{clip}/r", user_instruction="x")
    assert trust.collector_problems(ok, clip) == []
    assert trust.collector_problems(ok, None)
    assert trust.collector_problems(ok, conventions.workflow_id_for(JOB, 1))
    other = conventions.workflow_id_for(JOB, 1)
    for field in ("submission_id", "regeneration_id"):
        moved = ok.model_copy(update={field: f"{other}/r/0"})
        assert [f for f in trust.collector_problems(moved, clip) if field in f], field
    prefix_only = ok.model_copy(update={"submission_id": f"{clip}0/r/0"})  # clip 20, not 2
    assert trust.collector_problems(prefix_only, clip)


@pytest.mark.parametrize("change,says", [
    (dict(model="veo-9"), ""), (dict(duration_seconds=5), "durationSeconds"),
    (dict(seed=-1), "seed"), (dict(seed=2**32), "seed"), (dict(prompt=" "), "prompt"),
    (dict(prompt="p" * 4001), "prompt"), (dict(negative_prompt="n" * 4001), "negative_prompt"),
    (dict(delivered_seconds=0.0), "delivered_seconds"), (dict(delivered_seconds=8.5), "delivered"),
    (dict(temperature=1.5), "temperature"), (dict(temperature=-0.1), "temperature"),
    (dict(reference_image_urls=["file:///etc/passwd"]), "https, http or gs"),
    (dict(reference_image_urls=[f"gs://b/{i}.png" for i in range(11)]), "at most 10"),
])
def test_the_paying_door_refuses_what_veo_must_not_be_paid_for(change, says):
    found = trust.generation_problems(request(**change))
    assert found and says in "; ".join(found), found


def test_the_paying_door_lets_a_planned_request_through():
    assert trust.generation_problems(request()) == []
    assert trust.generation_problems(request(
        seed=0, temperature=0.0, delivered_seconds=8.0, negative_prompt="n" * 4000,
        prompt="p" * 4000, reference_image_urls=[f"gs://b/{i}.png" for i in range(10)])) == []
    assert trust.generation_problems(request(seed=2**32 - 1, temperature=1.0)) == []


def test_the_plan_rules_hold_at_their_boundaries():
    """Each limit just inside and just outside (a mutation run found them untested)."""
    def ok(**change) -> bool:
        return trust.plan_problems(plan(**change), "16:9", []) == []

    assert ok(seed=0) and not ok(seed=-1)
    assert ok(temperature=0.0) and not ok(temperature=-0.5) and not ok(temperature=1.5)
    assert ok(delivered_seconds=0.5) and ok(delivered_seconds=5.5) and ok(delivered_seconds=8.0)
    assert not ok(delivered_seconds=0.0) and not ok(delivered_seconds=-0.5)
    assert not ok(delivered_seconds=8.5)
    assert not ok(duration_seconds=6, generated_seconds=8)  # either way round
    assert not ok(cost_estimate_usd=estimate_cost(MODEL, 8) + Decimal("0.01"))


def test_the_paying_door_holds_at_its_boundaries():
    def ok(**change) -> bool:
        return trust.generation_problems(request(**change)) == []

    assert ok(duration_seconds=4) and ok(duration_seconds=4, aspect_ratio="9:16")
    assert ok(negative_prompt="blurry") and ok(negative_prompt="n" * trust.MAX_PROMPT_CHARS)
    assert not ok(negative_prompt="n" * (trust.MAX_PROMPT_CHARS + 1))
    assert ok(delivered_seconds=0.5) and ok(delivered_seconds=5.5) and ok(delivered_seconds=8.0)
    assert not ok(delivered_seconds=0.0) and not ok(delivered_seconds=-1.0)
    assert not ok(delivered_seconds=8.5)
    assert ok(seed=0) and not ok(seed=-1) and ok(temperature=0.0) and not ok(temperature=1.01)
