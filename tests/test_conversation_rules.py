"""The confirm-first rules (workflows/conversation.py), pure: no server needed.

The dev-server tests (test_workflow_confirm.py) show the Updates end to end; these pin
the states an Update may not be sent in, including the ones a live run makes hard to
catch (while a revision is being planned).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest

from workflows import error_types
from workflows.conversation import CANCEL, CONFIRM, REVISE, PlanConversation, state_refusal
from workflows.models import ChatMessage, PlannerKind, RegenerateClipInput
from workflows.step_models import ClipContext, Plan


def plan(prompt: str) -> Plan:
    return Plan(prompt=prompt, negative_prompt="blurry", temperature=0.75, reasoning="r",
                seed=7, seed_reused=False, planner=PlannerKind.TEMPLATE,
                cost_estimate_usd=Decimal("3.20"), duration_seconds=8)


@pytest.fixture
def talk() -> PlanConversation:
    inp = RegenerateClipInput(job_id=uuid4(), clip_index=2, instruction="make it nighttime",
                              conversation=[ChatMessage(content="the street is too bright")])
    context = ClipContext(job_id=inp.job_id, clip_index=2, prompt="A street at noon")
    return PlanConversation(inp, context, plan("A street at night"))


def test_awaiting_confirmation_takes_each_update(talk):
    assert talk.refusal(CONFIRM) is None and talk.refusal(CANCEL) is None
    assert talk.refusal(REVISE, instruction="and a little darker") is None
    assert talk.refusal(CONFIRM, revision=1) is None


@pytest.mark.parametrize("state, words", [
    ("revising", "being planned"),
    ("confirmed", "already confirmed"),
    ("cancelled", "was cancelled"),
    ("expired", "expired unconfirmed"),
])
def test_every_update_is_refused_once_decided_or_while_revising(talk, state, words):
    talk.state = state
    for update in (CONFIRM, REVISE, CANCEL):
        refused = talk.refusal(update)
        assert refused.type == error_types.UPDATE_NOT_ALLOWED and refused.non_retryable
        assert words in refused.message


def test_a_stale_revision_and_a_bad_follow_up_are_refused(talk):
    talk.accept_revision("and a little darker", plan("A darker street at night"))
    assert "current plan is revision 2" in talk.refusal(CONFIRM, revision=1).message
    assert talk.refusal(REVISE, instruction=" ").type == error_types.INVALID_INPUT
    assert talk.refusal(REVISE, instruction="x\x00").type == error_types.INVALID_INPUT


def test_a_revision_replans_from_the_plan_it_revises_and_records_every_turn(talk):
    inp, context = talk.revised_request("and a little darker")
    assert inp.instruction == "and a little darker"
    assert context.prompt == "A street at night" and context.negative_prompt == "blurry"
    assert [m.content for m in inp.conversation] == [
        "the street is too bright", "make it nighttime", "Planned prompt: A street at night"]

    talk.accept_revision("and a little darker", plan("A darker street at night"))
    proposal = talk.proposal()
    assert proposal.revision == 2 and proposal.state == "awaiting_confirmation"
    assert proposal.instructions == ["make it nighttime", "and a little darker"]
    assert proposal.plan.prompt == "A darker street at night"
    assert proposal.temperature_band == "medium_high"
    assert talk.confirmed_input().instruction == "make it nighttime / then: and a little darker"


def test_a_batch_state_refuses_like_a_single_plan():
    assert state_refusal(CONFIRM, "planning").type == error_types.UPDATE_NOT_ALLOWED
    assert "already confirmed" in state_refusal(CANCEL, "running").message
    assert state_refusal(CONFIRM, "awaiting_confirmation") is None


# --- at the boundaries (a mutation run found these untested) -------------------------------


def test_while_revising_the_refusal_names_the_revision_being_planned(talk):
    talk.accept_revision("darker", plan("A darker street"))  # revision 2
    talk.state = "revising"
    assert "while revision 3 is being planned" in talk.refusal(CONFIRM).message
    talk.state = "awaiting_confirmation"
    talk.accept_revision("warmer", plan("A warmer street"))  # revision 3 (odd: 3 + 1 is 4)
    talk.state = "revising"
    refused = talk.refusal(CONFIRM)
    assert "while revision 4 is being planned" in refused.message
    assert refused.non_retryable and refused.type == error_types.UPDATE_NOT_ALLOWED


def test_only_confirm_checks_the_revision_and_only_revise_the_cap_and_the_words(talk):
    talk.accept_revision("darker", plan("A darker street"))  # revision 2
    assert talk.refusal(CONFIRM, revision=2) is None
    assert talk.refusal(CONFIRM, revision=3) is not None  # a newer one than exists, too
    assert talk.refusal(CANCEL, revision=1) is None  # cancel takes no revision
    assert talk.refusal(REVISE, revision=1, instruction="more") is None  # nor does revise
    assert talk.refusal(CANCEL, instruction=" ") is None  # nor an instruction
    assert talk.refusal(CONFIRM, instruction=" ") is None
    bad = talk.refusal(REVISE, instruction=" ")
    assert bad.type == error_types.INVALID_INPUT and bad.non_retryable


def test_the_revision_cap_stops_revise_only_and_exactly_at_the_cap(talk):
    from workflows.caps import MAX_REVISIONS

    for n in range(2, MAX_REVISIONS):
        talk.accept_revision(f"step {n}", plan(f"street {n}"))
    assert talk.revision == MAX_REVISIONS - 1 and talk.refusal(REVISE, instruction="more") is None
    talk.accept_revision("last", plan("the last street"))
    assert talk.revision == MAX_REVISIONS
    capped = talk.refusal(REVISE, instruction="more")
    assert capped.type == error_types.UPDATE_NOT_ALLOWED and f"{MAX_REVISIONS} revisions" in capped.message
    talk.revision = MAX_REVISIONS + 1  # past the cap (never reached, but still refused)
    assert talk.refusal(REVISE, instruction="more") is not None
    assert talk.refusal(CONFIRM) is None and talk.refusal(CANCEL) is None


def test_a_proposal_shows_the_latest_instructions_and_revises_from_the_latest(talk):
    from workflows.caps import PROPOSAL_INSTRUCTIONS

    for n in range(PROPOSAL_INSTRUCTIONS + 1):
        talk.accept_revision(f"turn {n}", plan(f"street {n}"))
    shown = talk.proposal().instructions
    assert shown == [f"turn {n}" for n in range(1, PROPOSAL_INSTRUCTIONS + 1)]
    inp, _ = talk.revised_request("again")
    assert inp.conversation[-2].content == f"turn {PROPOSAL_INSTRUCTIONS}"  # the latest turn
    assert inp.conversation[-1].content == f"Planned prompt: street {PROPOSAL_INSTRUCTIONS}"


def test_planning_and_every_decided_state_are_refused_by_name():
    assert "still being made" in state_refusal(REVISE, "planning").message
    for state, words in [("finished", "has run"), ("expired", "expired unconfirmed"),
                         ("cancelled", "nothing was paid"), ("confirmed", "being paid for")]:
        refused = state_refusal(CONFIRM, state)
        assert refused.non_retryable and words in refused.message, state
    assert state_refusal(CANCEL, "revising") is None  # the plan's own rules decide that one
