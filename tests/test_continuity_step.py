"""The workflow's continuity and money steps (workflows/continuity_step.py,
workflows/plan_spend.py) run by a probe workflow on the dev server: which neighbours'
frames are asked for, a plan refused when a neighbour changed since it was made, the
frames a submission carries, the budgets a plan reads and a confirmation re-reads. The
frame loader and the budget reader are activities this file serves under the real names,
recording what each was asked; about a second for the file."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Literal

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from workflows import error_types
from workflows.continuity_models import (
    ContinuityPlan,
    FrameRef,
    NeighbourFrames,
    NeighbourFramesRequest,
)
from workflows.continuity_step import check_neighbours_unchanged, frames_of, with_neighbour_frames
from workflows.models import PlannerKind, RegenerateClipInput
from workflows.plan_spend import refuse_unless_it_fits, terms_for
from workflows.spend_models import BudgetLeft, SpendQuery, SpendTerms
from workflows.step_models import ClipContext, Plan

ASKED: dict[str, list] = {}  # job id -> what each activity was asked, in order
CURRENT: dict[str, NeighbourFrames] = {}  # job id -> the frames the loader finds now
BUDGET = BudgetLeft(name="RETAKE_BUDGET_USD_PER_DAY (the whole deployment)",
                    limit_usd=Decimal("50"), left_usd=Decimal("4.00"))


def frame(clip: int, version: int = 3, end: str = "last", sha: str = "a" * 64) -> FrameRef:
    return FrameRef(clip_index=clip, version=version, end=end, sha256=sha,
                    name=f"frames/{clip}-{version}-{end}.png")


@activity.defn(name="load_neighbour_frames")
async def load_neighbour_frames(req: NeighbourFramesRequest) -> NeighbourFrames:
    ASKED.setdefault(str(req.job_id), []).append(req)
    return CURRENT.get(str(req.job_id), NeighbourFrames())


@activity.defn(name="spend_terms")
async def spend_terms(query: SpendQuery) -> SpendTerms:
    ASKED.setdefault(str(query.job_id), []).append(query)
    return SpendTerms(generate_audio_default=False, budgets=[BUDGET])


class Step(BaseModel):
    run: Literal["neighbours", "unchanged", "terms", "fits"]
    request: RegenerateClipInput
    plan: Plan | None = None
    cost: Decimal = Decimal(0)
    shown_budgets: bool = True
    account_id: str | None = None


class Done(BaseModel):
    context: ClipContext | None = None
    stages: list[list[str]] = []
    terms: SpendTerms | None = None


@workflow.defn(name="ContinuityStepProbe", sandboxed=False)
class StepProbe:
    @workflow.run
    async def run(self, step: Step) -> Done:
        inp = step.request
        stages: list[list[str]] = []
        if step.run == "neighbours":
            context = ClipContext(job_id=inp.job_id, clip_index=inp.clip_index,
                                  prompt="A street at noon")
            got = await with_neighbour_frames(inp, context, lambda s, d: stages.append([s, d]))
            return Done(context=got, stages=stages)
        if step.run == "unchanged":
            await check_neighbours_unchanged(inp, step.plan)
            return Done()
        if step.run == "terms":
            return Done(terms=await terms_for(inp.job_id, step.account_id))
        await refuse_unless_it_fits(inp.job_id, step.account_id, step.cost,
                                    what="Plan revision 3", shown_budgets=step.shown_budgets)
        return Done()


@pytest_asyncio.fixture(scope="module")
async def probe(temporal_client: Client):
    queue = f"continuity-step-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=queue, workflows=[StepProbe],
                      activities=[load_neighbour_frames, spend_terms],
                      workflow_runner=UnsandboxedWorkflowRunner()):

        async def run(kind: str, inp: RegenerateClipInput, **step) -> Done:
            return await temporal_client.execute_workflow(
                StepProbe.run, Step(run=kind, request=inp, **step),
                id=f"probe-{uuid.uuid4().hex}", task_queue=queue,
                execution_timeout=timedelta(seconds=30))

        yield run


def request(clip: int = 5, instruction: str = "make it brighter", continuity: str = "none"
            ) -> RegenerateClipInput:
    return RegenerateClipInput(job_id=uuid.uuid4(), clip_index=clip, instruction=instruction,
                               options={"continuity": continuity})


def plan(joined: ContinuityPlan | None) -> Plan:
    return Plan(prompt="p", temperature=0.5, reasoning="r", seed=1, seed_reused=False,
                planner=PlannerKind.TEMPLATE, cost_estimate_usd=Decimal("3.20"),
                duration_seconds=8, continuity=joined)


def asked(inp: RegenerateClipInput) -> list:
    return ASKED.get(str(inp.job_id), [])


@pytest.mark.parametrize("continuity, previous, nxt, own", [
    ("from_previous", True, False, False),
    ("into_next", False, True, True),
    ("both", True, True, False),
])
async def test_the_neighbours_asked_for_are_loaded_into_the_context(
    probe, continuity, previous, nxt, own
):
    inp = request(continuity=continuity)
    found = NeighbourFrames(previous_last=frame(4), missing=["clip 6: no current video"])
    CURRENT[str(inp.job_id)] = found
    done = await probe("neighbours", inp)
    assert asked(inp) == [NeighbourFramesRequest(job_id=inp.job_id, clip_index=5,
                                                 previous=previous, next=nxt, own=own)]
    assert done.context.neighbour_frames == found
    assert done.context.prompt == "A street at noon" and done.context.clip_index == 5
    assert done.stages == [["loading", f"taking the neighbouring frames ({continuity})"]]


async def test_continuity_asked_in_words_is_loaded_too(probe):
    inp = request(clip=5, instruction="make it flow from the previous clip")
    done = await probe("neighbours", inp)
    assert [r.previous for r in asked(inp)] == [True]
    assert done.stages == [["loading", "taking the neighbouring frames (from_previous)"]]


async def test_without_continuity_nothing_is_loaded(probe):
    inp = request()
    done = await probe("neighbours", inp)
    assert asked(inp) == [] and done.stages == []
    assert done.context.neighbour_frames is None


def joined(*frames: FrameRef | None, keep: str = "start") -> ContinuityPlan:
    first, last = (frames + (None, None))[:2]
    return ContinuityPlan(asked="both", used="both", first_frame=first, last_frame=last,
                          keep=keep)


async def test_a_plan_without_neighbours_frames_checks_nothing(probe):
    for continuity in (None, joined(), joined(frame(5, end="first"))):  # its own frame only
        inp = request()
        await probe("unchanged", inp, plan=plan(continuity))
        assert asked(inp) == []


@pytest.mark.parametrize("frames, previous, nxt", [
    ((frame(4), None), True, False),
    ((None, frame(6, end="first")), False, True),
    ((frame(4), frame(6, end="first")), True, True),
    ((frame(5, end="first"), frame(6, end="first")), False, True),
])
async def test_the_neighbours_a_plan_joins_are_read_again_and_pass_unchanged(
    probe, frames, previous, nxt
):
    inp = request()
    CURRENT[str(inp.job_id)] = NeighbourFrames(previous_last=frame(4),
                                               next_first=frame(6, end="first"))
    await probe("unchanged", inp, plan=plan(joined(*frames)))
    assert asked(inp) == [NeighbourFramesRequest(job_id=inp.job_id, clip_index=5,
                                                 previous=previous, next=nxt, own=False)]


@pytest.mark.parametrize("now, shown", [
    (NeighbourFrames(previous_last=frame(4, version=4)), "version 4"),
    (NeighbourFrames(previous_last=frame(4, sha="b" * 64)), "version 3"),
    (NeighbourFrames(), "not usable any more"),
    (NeighbourFrames(next_first=frame(4, end="first")), "version 3"),  # not where it was
])
async def test_a_neighbour_changed_since_the_plan_is_refused(probe, now, shown):
    inp = request()
    CURRENT[str(inp.job_id)] = now
    if now.next_first is not None:  # the same clip, found as the next one: still current
        await probe("unchanged", inp, plan=plan(joined(frame(4))))
        return
    with pytest.raises(WorkflowFailureError) as failure:
        await probe("unchanged", inp, plan=plan(joined(frame(4))))
    err = failure.value.cause
    assert isinstance(err, ApplicationError)
    assert err.type == error_types.NEIGHBOUR_CHANGED and err.non_retryable
    assert err.message == (
        f"Clip 4 changed after this plan was made: the plan joins its version 3, its current "
        f"one is {shown}. Start the regeneration again to join the current clip; nothing "
        "was paid.")


async def test_the_next_neighbour_changed_is_refused_too(probe):
    inp = request()
    CURRENT[str(inp.job_id)] = NeighbourFrames(previous_last=frame(4),
                                               next_first=frame(6, version=9, end="first"))
    with pytest.raises(WorkflowFailureError) as failure:
        await probe("unchanged", inp, plan=plan(joined(frame(4), frame(6, end="first"))))
    assert "Clip 6 changed" in failure.value.cause.message
    assert "its current one is version 9" in failure.value.cause.message


def test_a_submission_carries_the_frames_only_when_there_are_some():
    assert frames_of(plan(None)) == {}
    assert frames_of(plan(joined())) == {}
    first = frame(4)
    assert frames_of(plan(joined(first))) == {"first_frame": first, "last_frame": None,
                                              "keep": "start"}
    last = frame(6, end="first")
    assert frames_of(plan(joined(None, last, keep="end"))) == {
        "first_frame": None, "last_frame": last, "keep": "end"}
    assert frames_of(plan(joined(first, last))) == {"first_frame": first, "last_frame": last,
                                                    "keep": "start"}


async def test_a_plan_reads_the_budgets_of_its_job_and_account(probe):
    inp = request()
    done = await probe("terms", inp, account_id="user-7")
    assert done.terms == SpendTerms(generate_audio_default=False, budgets=[BUDGET])
    assert asked(inp) == [SpendQuery(job_id=inp.job_id, account_id="user-7")]


async def test_a_confirmation_re_reads_the_budgets_and_refuses_what_no_longer_fits(probe):
    inp = request()
    await probe("fits", inp, cost=Decimal("4.00"), account_id="user-7")  # exactly what is left
    assert asked(inp) == [SpendQuery(job_id=inp.job_id, account_id="user-7")]
    with pytest.raises(WorkflowFailureError) as failure:
        await probe("fits", inp, cost=Decimal("4.01"))
    err = failure.value.cause
    assert isinstance(err, ApplicationError)
    assert err.type == error_types.BUDGET_EXCEEDED and err.non_retryable
    refusal = ("Plan revision 3 costs $4.01 and would exceed RETAKE_BUDGET_USD_PER_DAY (the "
               "whole deployment): $4.00 of $50 is left; it does not reset: raise it to spend "
               "more. Nothing was paid.")
    assert err.message == refusal + (" The plan still waits: cancel it, or ask for a shorter "
                                     "or cheaper one.")


async def test_a_plan_that_showed_no_budget_is_not_re_read(probe):
    inp = request()
    await probe("fits", inp, cost=Decimal("400"), shown_budgets=False)
    assert asked(inp) == []


@pytest.mark.parametrize("now, shown", [
    (frame(4, version=2), "version 2"),  # an older version current again (a revert)
    (frame(4, sha="0" * 64), "version 3"),  # the same number, other bytes
])
async def test_a_neighbour_changed_either_way_is_refused(probe, now, shown):
    inp = request()
    CURRENT[str(inp.job_id)] = NeighbourFrames(previous_last=now)
    with pytest.raises(WorkflowFailureError) as failure:
        await probe("unchanged", inp, plan=plan(joined(frame(4))))
    assert failure.value.cause.type == error_types.NEIGHBOUR_CHANGED
    assert f"its current one is {shown}." in failure.value.cause.message


async def test_clips_and_versions_past_small_numbers_are_compared_by_value(probe):
    """Numbers decoded apart are equal objects only below 257 in CPython."""
    inp = request(clip=1000)
    await probe("unchanged", inp, plan=plan(joined(frame(1000, end="first"))))
    assert asked(inp) == []  # its own frame only
    CURRENT[str(inp.job_id)] = NeighbourFrames(previous_last=frame(999, version=300))
    await probe("unchanged", inp, plan=plan(joined(frame(999, version=300))))
    assert [r.previous for r in asked(inp)] == [True]
