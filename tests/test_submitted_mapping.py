"""workflows/submitted.py alone: what was sent to Veo is what is saved, fact by fact."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

from workflows.step_models import Plan, StoredVideo, SubmittedRequest
from workflows.submitted import as_submitted, version_to_save

JOB = uuid4()


def plan(**changes) -> Plan:
    values = dict(prompt="planned prompt", negative_prompt="planned neg", temperature=0.7,
                  reasoning="why", seed=1, seed_reused=False, planner="offline",
                  generated_seconds=8, delivered_seconds=5.5, duration_seconds=8,
                  video_model="veo-3.1-generate-001", cost_estimate_usd=Decimal("3.20"),
                  policy_version=3, reference_image_urls=["https://planned/ref.png"],
                  enhance_prompt=True)
    values.update(changes)
    return Plan(**values)


SENT = SubmittedRequest(model="veo-3.1-fast-generate-001", prompt="sent prompt",
                        negative_prompt="sent neg", seed=99, duration_seconds=6,
                        reference_image_urls=["https://sent/ref.png"], enhance_prompt=False,
                        temperature=0.3, policy_version=4)


def saved(sent, plan_, stored=None, **kw):
    return version_to_save(job_id=JOB, clip_index=2, regeneration_id="regenerate-x-2/r",
                           user_instruction="make it blue",
                           stored=stored or StoredVideo(url="file:///v.mp4", backend="veo"),
                           sent=sent, plan=plan_, **kw)


def test_every_fact_veo_received_replaces_the_plans():
    got = as_submitted(plan(), SENT)
    assert (got.prompt, got.negative_prompt, got.seed, got.duration_seconds) == (
        "sent prompt", "sent neg", 99, 6)
    assert (got.video_model, got.enhance_prompt, got.temperature, got.policy_version) == (
        "veo-3.1-fast-generate-001", False, 0.3, 4)
    assert got.reference_image_urls == ["https://sent/ref.png"]
    # Priced as sent: 6 s of the Fast model without sound, not the plan's 8 s with sound.
    assert (got.generate_audio, got.cost_estimate_usd, got.price_per_second_usd) == (
        False, Decimal("0.60"), Decimal("0.10"))
    assert got.reasoning == "why"  # nothing was dropped at the door
    assert as_submitted(plan(), None) == plan()


def test_an_echo_without_temperature_keeps_the_plans():
    got = as_submitted(plan(), SENT.model_copy(update={"temperature": None}))
    assert got.temperature == 0.7


def test_dropped_references_are_said_in_the_reasoning():
    sent = SENT.model_copy(update={"references_dropped": ["a.png: too big", "b.png: private"]})
    got = as_submitted(plan(), sent)
    assert got.reasoning == "why Reference images not sent: a.png: too big; b.png: private."


def test_the_version_saved_is_the_echo_then_the_plan_never_invented():
    row = saved(SENT, plan(), generation_seconds=12.5)
    assert (row.prompt, row.negative_prompt, row.seed, row.temperature) == (
        "sent prompt", "sent neg", 99, 0.3)
    assert (row.cost_usd, row.policy_version, row.generation_seconds) == (
        Decimal("0.60"), 4, 12.5)  # the cost of what was sent
    assert row.duration_seconds == 8.0 and row.make_current
    assert (row.job_id, row.clip_index, row.video_url) == (JOB, 2, "file:///v.mp4")
    assert row.user_instruction == "make it blue" and row.regeneration_id == "regenerate-x-2/r"
    cut = saved(SENT, plan(), StoredVideo(url="u", backend="veo", trimmed_to_seconds=5.5))
    assert cut.duration_seconds == 5.5
    late = saved(SENT, None, make_current=False)  # a collector with only the echo
    assert (late.prompt, late.seed, late.temperature, late.duration_seconds) == (
        "sent prompt", 99, 0.3, 6.0)
    assert late.cost_usd is None and late.policy_version == 4 and not late.make_current
    unknown = saved(None, None)
    assert (unknown.prompt, unknown.seed, unknown.temperature, unknown.cost_usd) == (
        None, None, None, None)
