"""The confirm-first Updates as Temporal runs them (workflows/regeneration_updates.py):
a probe workflow inherits ConfirmFirstConversation as RegenerateClipWorkflow does and
gives it a planner of its own (no OpenAI, no Postgres, no Veo), so each answer of
propose / confirm / revise / cancel, the proposal query, the wait with its expiry and
the expiring-soon push are read one by one on the dev server, in about a second each.
The budgets a confirmation re-reads come from a `spend_terms` activity this file serves;
the pushes go through the real NotifyWorkflow to a `send_notification` activity that
records them.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from workflows import error_types, patches
from workflows.conversation import PlanConversation
from workflows.models import ChatMessage, PlannerKind, PlanProposal, RegenerateClipInput
from workflows.notify import NotifyWorkflow
from workflows.notify_models import Notification
from workflows.regeneration_updates import ConfirmFirstConversation
from workflows.spend_models import BudgetLeft, SpendQuery, SpendTerms
from workflows.step_models import ClipContext, Plan

BUDGET = BudgetLeft(name="RETAKE_BUDGET_USD_PER_JOB (this job)", limit_usd=Decimal("10"),
                    left_usd=Decimal("10"))
LEFT: dict[str, Decimal] = {}  # job id -> what the budget has left when confirm re-reads it
SLOW_BUDGET_READ: dict[str, asyncio.Event] = {}  # job id -> released when the read may end
PUSHED: dict[str, list[Notification]] = {}  # job id -> what reached the receiver


@activity.defn(name="spend_terms")
async def spend_terms(query: SpendQuery) -> SpendTerms:
    job = str(query.job_id)
    if job in SLOW_BUDGET_READ:
        await SLOW_BUDGET_READ[job].wait()
    return SpendTerms(budgets=[BUDGET.model_copy(update={"left_usd": LEFT.get(job, Decimal(10))})])


@activity.defn(name="send_notification")
async def send_notification(note: Notification) -> int:
    PUSHED.setdefault(str(note.event.job_id), []).append(note)
    return 204


class Setup(BaseModel):
    request: RegenerateClipInput
    ends: Literal["typed", "untyped"] | None = None  # the run ends before any plan
    shows_budgets: bool = False


class Outcome(BaseModel):
    confirmed: bool | None = None  # None: not confirm-first, or ended before a plan
    state: str | None = None
    revision: int | None = None
    prompt: str | None = None


@workflow.defn(name="ConversationProbe", sandboxed=False)
class ConversationProbe(ConfirmFirstConversation):
    """Plans after a `go` signal (so Updates can arrive while it is still planning)."""

    @workflow.init
    def __init__(self, setup: Setup) -> None:
        inp = setup.request
        self._confirm_first = inp.options.confirm_first
        self._consent_decided = False
        self._confirm_timeout = inp.options.confirm_timeout_seconds
        self._talk = None
        self._ended = None
        self._shows_budgets = setup.shows_budgets
        self._go = False
        self._finish = False
        self._outcome: Outcome | None = None
        self._stages: list[list[str]] = []

    @workflow.signal
    def go(self) -> None:
        self._go = True

    @workflow.signal
    def finish(self) -> None:
        self._finish = True

    @workflow.query
    def outcome(self) -> Outcome | None:
        return self._outcome

    @workflow.query
    def stages(self) -> list[list[str]]:
        return self._stages

    @workflow.run
    async def run(self, setup: Setup) -> Outcome:
        """Kept open once decided (as a regeneration is while it pays), until `finish`."""
        self._outcome = await self._decide(setup)
        await workflow.wait_condition(lambda: self._finish)
        return self._outcome

    async def _decide(self, setup: Setup) -> Outcome:
        inp = setup.request
        await workflow.wait_condition(lambda: self._go)
        if setup.ends == "typed":
            self._ended = ApplicationError("Clip 2 has no prompt", {"clip": 2},
                                           type=error_types.CLIP_NOT_FOUND, non_retryable=True)
            return Outcome()
        if setup.ends == "untyped":
            self._ended = RuntimeError("the worker gave up")
            return Outcome()
        self._consent_decided = True
        if not self._confirm_first:
            return Outcome()
        context = ClipContext(job_id=inp.job_id, clip_index=inp.clip_index,
                              prompt="A street at noon")
        self._talk = PlanConversation(inp, context, await self._plan(inp, context))
        confirmed = await self._await_confirmation(inp.options.confirm_timeout_seconds)
        talk = self._talk
        return Outcome(confirmed=confirmed, state=talk.state, revision=talk.revision,
                       prompt=talk.plan.prompt)

    async def _plan(self, inp: RegenerateClipInput, context: ClipContext) -> Plan:
        if "fail" in inp.instruction:
            raise ApplicationError("The planner is down", type="PlannerUnavailable",
                                   non_retryable=True)
        if "slowly" in inp.instruction:
            await workflow.sleep(1)
        return Plan(prompt=f"{context.prompt}, {inp.instruction}", negative_prompt="blurry",
                    temperature=0.75, reasoning="r", seed=7, seed_reused=False,
                    planner=PlannerKind.TEMPLATE, cost_estimate_usd=Decimal("3.20"),
                    duration_seconds=8, budgets=[BUDGET] if self._shows_budgets else [])

    def _set_stage(self, stage: str, detail: str) -> None:
        self._stages.append([stage, detail])


@pytest_asyncio.fixture(scope="module")
async def queue(temporal_client: Client):
    name = f"updates-{uuid.uuid4().hex[:8]}"
    async with Worker(temporal_client, task_queue=name,
                      workflows=[ConversationProbe, NotifyWorkflow],
                      activities=[spend_terms, send_notification],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        yield name


async def start(client: Client, queue: str, *, confirm_first: bool = True, go: bool = True,
                timeout: float = 60.0, instruction: str = "make it nighttime",
                notify: bool = False, task_timeout: float = 10.0, **setup: Any
                ) -> WorkflowHandle:
    request = RegenerateClipInput(
        job_id=uuid.uuid4(), clip_index=2, instruction=instruction,
        conversation=[ChatMessage(content="the street is too bright")],
        options={"confirm_first": confirm_first, "confirm_timeout_seconds": timeout,
                 "notify_url": "https://hooks.example/retake" if notify else None})
    handle = await client.start_workflow(
        ConversationProbe.run, Setup(request=request, **setup), id=f"probe-{uuid.uuid4().hex}",
        task_queue=queue, execution_timeout=timedelta(seconds=60),
        task_timeout=timedelta(seconds=task_timeout))
    handle.job = str(request.job_id)
    if go:
        await handle.signal(ConversationProbe.go)
    return handle


async def update(handle: WorkflowHandle, name: str, *arg: Any) -> PlanProposal:
    return await asyncio.wait_for(
        handle.execute_update(name, *arg, result_type=PlanProposal), timeout=10)


async def refused(handle: WorkflowHandle, name: str, *arg: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await update(handle, name, *arg)
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def settled(handle: WorkflowHandle) -> Outcome:
    """What the run decided (it stays open for later Updates)."""
    for _ in range(100):
        found = await handle.query(ConversationProbe.outcome)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError("the run never decided")


async def finished(handle: WorkflowHandle) -> Outcome:
    await handle.signal(ConversationProbe.finish)
    return await handle.result()


async def proposal(handle: WorkflowHandle) -> PlanProposal | None:
    return await handle.query("proposal", result_type=PlanProposal | None)


async def first_plan(handle: WorkflowHandle) -> PlanProposal:
    return await update(handle, "propose")


async def stage_seen(handle: WorkflowHandle, stage: str, count: int = 1) -> list[list[str]]:
    """The stages once `stage` was set `count` times (the wait sets it after an Update)."""
    for _ in range(100):
        stages = await handle.query(ConversationProbe.stages)
        if sum(s == stage for s, _ in stages) >= count:
            return stages
        await asyncio.sleep(0.05)
    raise AssertionError(f"{stage} x{count} never set: {stages}")


def awaiting(p: PlanProposal) -> list[str]:
    return ["awaiting_confirmation",
            f"plan revision {p.revision} costs $3.20; waiting for confirm, revise or cancel "
            f"until {p.expires_at:%H:%M:%S} UTC"]


async def test_propose_returns_the_first_plan_and_confirm_pays_for_it(temporal_client, queue):
    handle = await start(temporal_client, queue)
    first = await first_plan(handle)
    assert first.revision == 1 and first.state == "awaiting_confirmation"
    assert first.instructions == ["make it nighttime"]
    assert first.plan.prompt == "A street at noon, make it nighttime"
    assert first.expires_at is not None
    assert await proposal(handle) == first
    assert await first_plan(handle) == first  # asked again (a retried start): the same plan
    stages = await stage_seen(handle, "awaiting_confirmation")
    assert stages == [awaiting(first)]

    confirmed = await update(handle, "confirm", {"revision": 1})
    assert confirmed == first.model_copy(update={"state": "confirmed"})
    outcome = await settled(handle)
    assert outcome == Outcome(confirmed=True, state="confirmed", revision=1,
                              prompt=first.plan.prompt)
    assert await handle.query(ConversationProbe.stages) == [
        awaiting(first), ["confirmed", "plan revision 1 confirmed"]]
    assert (await refused(handle, "confirm")).type == error_types.UPDATE_NOT_ALLOWED


async def test_confirm_takes_no_argument_an_empty_object_or_the_current_revision(
    temporal_client, queue
):
    for arg in ((), ({},), ({"revision": 1},), ({"revision": None, "request_id": "r-1"},)):
        handle = await start(temporal_client, queue)
        await first_plan(handle)
        assert (await update(handle, "confirm", *arg)).state == "confirmed"
        assert (await finished(handle)).confirmed is True


async def test_a_stale_or_malformed_confirmation_is_refused_and_the_plan_still_waits(
    temporal_client, queue
):
    handle = await start(temporal_client, queue)
    await first_plan(handle)
    stale = await refused(handle, "confirm", {"revision": 2})
    assert stale.type == error_types.UPDATE_NOT_ALLOWED and stale.non_retryable
    assert stale.message.startswith("Cannot confirm revision 2: the current plan is revision 1.")
    bad = await refused(handle, "confirm", "yes")
    assert bad.type == error_types.INVALID_INPUT and bad.non_retryable
    assert bad.message == ("The confirm Update takes a JSON object, got str 'yes': send "
                           '{"revision": 2} (or {} for the current plan).')
    bad = await refused(handle, "confirm", {"revision": "two"})
    assert bad.type == error_types.INVALID_INPUT and "revision:" in bad.message
    assert (await proposal(handle)).state == "awaiting_confirmation"
    assert (await update(handle, "cancel")).state == "cancelled"
    assert (await finished(handle)).confirmed is False


async def test_cancel_ends_with_nothing_confirmed(temporal_client, queue):
    for arg in ((), ({},), ({"request_id": "c-1"},)):
        handle = await start(temporal_client, queue)
        first = await first_plan(handle)
        cancelled = await update(handle, "cancel", *arg)
        assert cancelled == first.model_copy(update={"state": "cancelled"})
        assert await settled(handle) == Outcome(confirmed=False, state="cancelled", revision=1,
                                                prompt=first.plan.prompt)
        late = await refused(handle, "confirm")
        assert late.type == error_types.UPDATE_NOT_ALLOWED
        assert late.message == "Cannot confirm: the plan was cancelled; nothing was paid."
    bad = await start(temporal_client, queue)
    await first_plan(bad)
    refusal = await refused(bad, "cancel", "now")
    assert refusal.type == error_types.INVALID_INPUT
    assert refusal.message == ("The cancel Update takes a JSON object, got str 'now': send "
                               "{} (or no argument).")
    await update(bad, "cancel")


async def test_revise_replans_and_the_new_plan_waits_with_its_own_expiry(temporal_client, queue):
    handle = await start(temporal_client, queue)
    first = await first_plan(handle)
    await stage_seen(handle, "awaiting_confirmation")
    await asyncio.sleep(0.05)  # the revision's clock is later than the first plan's
    second = await update(handle, "revise", {"instruction": "make it darker"})
    assert second.revision == 2 and second.state == "awaiting_confirmation"
    assert second.instructions == ["make it nighttime", "make it darker"]
    assert second.plan.prompt == "A street at noon, make it nighttime, make it darker"
    assert second.expires_at > first.expires_at  # the new plan's own, in the answer itself
    stages = await stage_seen(handle, "awaiting_confirmation", 2)
    assert stages == [awaiting(first), ["revising", "re-planning with: make it darker"],
                      awaiting(second)]
    assert await proposal(handle) == second
    stale = await refused(handle, "confirm", {"revision": 1})
    assert "the current plan is revision 2" in stale.message
    await update(handle, "confirm", {"revision": 2})
    assert await finished(handle) == Outcome(confirmed=True, state="confirmed", revision=2,
                                            prompt=second.plan.prompt)


async def test_the_stage_shows_the_first_eighty_characters_of_a_follow_up(temporal_client, queue):
    handle = await start(temporal_client, queue)
    await first_plan(handle)
    follow_up = "make it " + "much " * 30 + "darker"
    await update(handle, "revise", {"instruction": follow_up})
    stages = await stage_seen(handle, "awaiting_confirmation", 2)
    assert stages[1] == ["revising", f"re-planning with: {follow_up[:80]}"]
    assert len(stages[1][1]) == len("re-planning with: ") + 80
    await update(handle, "cancel")


async def test_a_revision_whose_planning_fails_leaves_the_previous_plan_waiting(
    temporal_client, queue
):
    handle = await start(temporal_client, queue)
    first = await first_plan(handle)
    failed = await refused(handle, "revise", {"instruction": "fail this time"})
    assert failed.type == "PlannerUnavailable" and failed.message == "The planner is down"
    assert await proposal(handle) == first
    assert (await update(handle, "confirm", {"revision": 1})).state == "confirmed"
    assert (await finished(handle)).revision == 1


async def test_a_revise_needs_a_follow_up_instruction(temporal_client, queue):
    handle = await start(temporal_client, queue)
    await first_plan(handle)
    missing = await refused(handle, "revise")
    assert missing.type == error_types.INVALID_INPUT and missing.non_retryable
    assert missing.message == ('The revise Update needs an argument: send {"instruction": '
                               '"make it a bit warmer"}.')
    empty = await refused(handle, "revise", {"instruction": "  "})
    assert empty.type == error_types.INVALID_INPUT
    assert empty.message.startswith("Invalid follow-up instruction: the instruction is empty")
    malformed = await refused(handle, "revise", {"text": "warmer"})
    assert malformed.message == ('Invalid revise argument (instruction: Field required): send '
                                 '{"instruction": "make it a bit warmer"}.')
    assert (await proposal(handle)).revision == 1
    await update(handle, "cancel")


async def test_no_update_is_taken_while_a_revision_is_planned(temporal_client, queue):
    handle = await start(temporal_client, queue)
    await first_plan(handle)
    revising = asyncio.create_task(update(handle, "revise", {"instruction": "darker, slowly"}))
    await stage_seen(handle, "revising")
    for name in ("confirm", "cancel"):
        busy = await refused(handle, name)
        assert busy.type == error_types.UPDATE_NOT_ALLOWED
        assert busy.message.startswith(f"Cannot {name} while revision 2 is being planned")
    assert (await proposal(handle)).state == "revising"
    second = await revising
    assert second.revision == 2
    assert (await update(handle, "confirm")).revision == 2
    outcome = await finished(handle)
    assert outcome.confirmed is True and outcome.revision == 2


async def test_updates_before_the_plan_exists_wait_or_are_refused(temporal_client, queue):
    handle = await start(temporal_client, queue, go=False)
    assert await proposal(handle) is None
    for name in ("confirm", "cancel"):
        early = await refused(handle, name)
        assert early.type == error_types.UPDATE_NOT_ALLOWED and early.non_retryable
        assert early.message.startswith(f"Cannot {name} yet: the plan is still being made.")
    early = await refused(handle, "revise", {"instruction": "darker"})
    assert early.message.startswith("Cannot revise yet")
    asked = asyncio.create_task(first_plan(handle))  # propose waits for the plan
    await asyncio.sleep(0.2)
    assert not asked.done()
    await handle.signal(ConversationProbe.go)
    assert (await asked).revision == 1
    await update(handle, "cancel")


async def test_a_run_that_did_not_ask_for_confirmation_refuses_the_conversation(
    temporal_client, queue
):
    handle = await start(temporal_client, queue, confirm_first=False)
    assert await settled(handle) == Outcome()  # paid without waiting
    for name, arg in (("confirm", ()), ("revise", ({"instruction": "x"},)), ("cancel", ())):
        refusal = await refused(handle, name, *arg)
        assert refusal.type == error_types.UPDATE_NOT_ALLOWED and refusal.non_retryable
        assert refusal.message == (
            f"Cannot {name}: this regeneration was not started with options.confirm_first "
            "nor planned with the propose Update, so it does not wait for a confirmation.")


async def test_propose_makes_a_run_confirm_first_only_before_it_decided(temporal_client, queue):
    handle = await start(temporal_client, queue, confirm_first=False, go=False)
    asked = asyncio.create_task(first_plan(handle))
    await asyncio.sleep(0.2)
    await handle.signal(ConversationProbe.go)
    assert (await asked).state == "awaiting_confirmation"
    await update(handle, "confirm")
    assert (await finished(handle)).confirmed is True

    late = await start(temporal_client, queue, confirm_first=False)
    await settled(late)
    refusal = await refused(late, "propose")
    assert refusal.type == error_types.UPDATE_NOT_ALLOWED and refusal.non_retryable
    assert refusal.message.startswith("Cannot propose: this regeneration was started without "
                                      "options.confirm_first and is already past planning")


async def test_propose_answers_why_the_run_ended_before_a_plan(temporal_client, queue):
    typed = await start(temporal_client, queue, go=False, ends="typed")
    asked = asyncio.create_task(first_plan(typed))
    await asyncio.sleep(0.2)
    await typed.signal(ConversationProbe.go)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await asked
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == error_types.CLIP_NOT_FOUND and cause.message == "Clip 2 has no prompt"
    assert cause.details == ({"clip": 2},)

    untyped = await start(temporal_client, queue, ends="untyped")
    assert await settled(untyped) == Outcome()
    refusal = await refused(untyped, "propose")
    assert refusal.type == error_types.UPDATE_NOT_ALLOWED and refusal.non_retryable
    assert refusal.message == ("The regeneration ended before a plan was made (RuntimeError); "
                               "its result says why.")


async def test_an_unanswered_plan_expires_with_nothing_paid(temporal_client, queue):
    handle = await start(temporal_client, queue, timeout=0.5)
    first = await first_plan(handle)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == error_types.PLAN_EXPIRED and cause.non_retryable
    assert cause.message.startswith("The plan for clip 2 was not confirmed within 0.5 s")
    assert await handle.query(ConversationProbe.stages) == [
        awaiting(first), ["expired", "the plan was not confirmed in time; nothing paid"]]
    assert (await proposal(handle)).state == "expired"


async def test_a_revision_restarts_the_timeout(temporal_client, queue):
    handle = await start(temporal_client, queue, timeout=1.5)
    await first_plan(handle)
    await asyncio.sleep(1.0)
    await update(handle, "revise", {"instruction": "make it darker"})
    await asyncio.sleep(1.0)  # past the first plan's expiry, within the second's
    assert (await update(handle, "confirm", {"revision": 2})).state == "confirmed"
    assert (await finished(handle)).confirmed is True


async def test_a_confirm_reads_the_budgets_again_and_refuses_a_plan_that_no_longer_fits(
    temporal_client, queue
):
    handle = await start(temporal_client, queue, shows_budgets=True)
    await first_plan(handle)
    LEFT[handle.job] = Decimal("3.19")
    over = await refused(handle, "confirm")
    assert over.type == error_types.BUDGET_EXCEEDED and over.non_retryable
    assert over.message.startswith("Plan revision 1 costs $3.20 and would exceed "
                                   "RETAKE_BUDGET_USD_PER_JOB (this job): $3.19 of $10 is left")
    assert over.message.endswith(" The plan still waits: cancel it, or ask for a shorter or "
                                 "cheaper one.")
    assert (await proposal(handle)).state == "awaiting_confirmation"
    LEFT[handle.job] = Decimal("3.20")
    assert (await update(handle, "confirm")).state == "confirmed"
    assert (await finished(handle)).confirmed is True


async def test_a_cancel_during_the_budget_read_stands(temporal_client, queue):
    # The read is a local activity: the Update arrives when the worker heartbeats the open
    # workflow task, at 80% of its timeout (1 s here).
    handle = await start(temporal_client, queue, shows_budgets=True, task_timeout=1.0)
    await first_plan(handle)
    SLOW_BUDGET_READ[handle.job] = asyncio.Event()
    confirming = asyncio.create_task(update(handle, "confirm"))
    await asyncio.sleep(0.3)  # the confirmation is reading the budgets
    assert (await update(handle, "cancel")).state == "cancelled"
    assert not confirming.done()
    SLOW_BUDGET_READ[handle.job].set()
    assert (await confirming).state == "cancelled"
    assert (await finished(handle)).confirmed is False
    assert ["confirmed", "plan revision 1 confirmed"] not in await handle.query(
        ConversationProbe.stages)


async def pushes(job: str, wait: float) -> list[Notification]:
    await asyncio.sleep(wait)
    return PUSHED.get(job, [])


async def test_a_plan_about_to_expire_is_announced_once_to_a_notify_url(temporal_client, queue):
    handle = await start(temporal_client, queue, timeout=1.0, notify=True)
    first = await first_plan(handle)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    sent = await pushes(handle.job, 0.3)
    assert len(sent) == 1
    note = sent[0]
    assert note.url == "https://hooks.example/retake"
    event = note.event
    assert event.event == "plan_expiring_soon" and event.revision == 1
    assert event.expires_at == first.expires_at and event.clip_index == 2
    assert event.event_id.endswith(":plan_expiring_soon:1")


async def test_no_warning_once_decided_revised_or_without_a_notify_url(temporal_client, queue):
    confirmed = await start(temporal_client, queue, timeout=1.0, notify=True)
    await first_plan(confirmed)
    await update(confirmed, "confirm")
    await finished(confirmed)

    revised = await start(temporal_client, queue, timeout=1.0, notify=True)
    await first_plan(revised)
    await update(revised, "revise", {"instruction": "make it darker"})
    await update(revised, "cancel")
    await finished(revised)

    silent = await start(temporal_client, queue, timeout=0.5)
    await first_plan(silent)
    with pytest.raises(WorkflowFailureError):
        await silent.result()
    await asyncio.sleep(1.0)  # past when each warning would have gone
    for handle in (confirmed, revised, silent):
        assert PUSHED.get(handle.job, []) == []
    # A decision cancels the warning's timer beside the expiry's, per plan (a timer left to
    # fire would be a different history); a run without notify_url does not even record
    # the warning's patch.
    for handle, plans in ((confirmed, 1), (revised, 2)):
        cancelled = (await event_types(handle)).count(EventType.EVENT_TYPE_TIMER_CANCELED)
        assert cancelled == 2 * plans
        assert await marks_expiry_warning(handle)
    assert not await marks_expiry_warning(silent)


async def event_types(handle: WorkflowHandle) -> list[int]:
    return [e.event_type for e in (await handle.fetch_history()).events]


async def marks_expiry_warning(handle: WorkflowHandle) -> bool:
    """The history records the expiry-warning patch (its marker names the patch id)."""
    patch_id = patches.EXPIRY_WARNING.id.encode()
    return any(e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
               and patch_id in e.SerializeToString()
               for e in (await handle.fetch_history()).events)
