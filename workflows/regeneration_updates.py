"""The confirm-first conversation of one regeneration, as Temporal sees it: its Updates,
its query and the wait for a decision.

A helper class outside the workflow's story (temporalio/samples-python `message_passing/`):
RegenerateClipWorkflow inherits it, so the handlers are registered on the workflow, and
provides `_talk`, `_ended`, `_confirm_first`, `_plan` and `_set_stage`. The rules
themselves (what may happen when) are pure, in workflows/conversation.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.confirm_first as confirm_first
    import workflows.conventions as conventions
    import workflows.error_types as error_types
    import workflows.notify as notify
    import workflows.patches as patches
    import workflows.plan_spend as plan_spend
    from workflows.conversation import CANCEL, CONFIRM, REVISE, PlanConversation, state_refusal
    from workflows.models import Cancellation, Confirmation, PlanProposal, Revision
    from workflows.update_args import parse

_CONFIRM_EXAMPLE = '{"revision": 2} (or {} for the current plan)'
_REVISE_EXAMPLE = '{"instruction": "make it a bit warmer"}'
_CANCEL_EXAMPLE = "{} (or no argument)"


class ConfirmFirstConversation:
    _talk: PlanConversation | None
    _ended: BaseException | None
    _confirm_first: bool
    _consent_decided: bool  # past the one point where the run waits, or not, for consent
    _confirm_timeout: float

    async def _await_confirmation(self, timeout_seconds: float) -> bool:
        """True once confirmed, False if cancelled; PlanExpired when nobody answers in time.

        Each new plan (the first, each revision) gets the full timeout.
        """
        talk = self._talk
        while True:
            if talk.state == "revising":
                await workflow.wait_condition(lambda: talk.state != "revising")
                continue
            if talk.state == "confirmed":
                return True
            if talk.state == "cancelled":
                return False
            revision = talk.revision
            talk.expires_at = confirm_first.expiry(timeout_seconds)
            self._set_stage(
                "awaiting_confirmation",
                f"plan revision {revision} costs ${talk.plan.cost_estimate_usd}; waiting for "
                f"confirm, revise or cancel until {talk.expires_at:%H:%M:%S} UTC",
            )
            warning = self._warn_before_expiry(revision, timeout_seconds)
            decided = await confirm_first.decided_in_time(
                lambda seen=revision: talk.state != "awaiting_confirmation"
                or talk.revision != seen,
                timeout_seconds=timeout_seconds,
                timeout_summary="plan expiry",
            )
            if warning is not None and not warning.done():
                warning.cancel()  # decided (or revised) before the warning was due
            if not decided:
                talk.state = "expired"
                self._set_stage("expired", "the plan was not confirmed in time; nothing paid")
                raise confirm_first.plan_expired(
                    f"The plan for clip {talk.first_input.clip_index}", timeout_seconds
                )

    def _warn_before_expiry(self, revision: int, timeout_seconds: float) -> asyncio.Task | None:
        """Beside the wait: push plan_expiring_soon shortly before this revision expires
        (patch plan-expiring-soon), only to a caller that gave options.notify_url."""
        talk = self._talk
        inp = talk.first_input
        if not inp.options.notify_url or not patches.applies(patches.EXPIRY_WARNING):
            return None
        expires_at = talk.expires_at
        return asyncio.create_task(notify.warn_before_expiry(
            inp.options.notify_url, timeout_seconds,
            lambda: talk.state == "awaiting_confirmation" and talk.revision == revision,
            lambda: notify.event("plan_expiring_soon", inp.job_id, inp.clip_index,
                                 key=str(revision), revision=revision, expires_at=expires_at)))

    @workflow.query(name=conventions.PROPOSAL_QUERY)
    def proposal(self) -> PlanProposal | None:
        """The current confirm-first plan (None before planning, or without confirm_first)."""
        return self._talk.proposal() if self._talk else None

    @workflow.update(name=conventions.PROPOSE_UPDATE)
    async def propose(self) -> PlanProposal:
        """The first plan, once made: the Update sent with the start (update-with-start).

        Asking for a plan is asking to be asked before paying: a run started without
        options.confirm_first becomes confirm-first here (accepted only before the run
        decided whether to wait), so no client can start a paying run by forgetting it.
        """
        self._confirm_first = True
        await workflow.wait_condition(lambda: self._talk is not None or self._ended is not None)
        if self._talk is None:
            if isinstance(self._ended, ApplicationError):
                raise self._ended
            raise ApplicationError(
                f"The regeneration ended before a plan was made ({type(self._ended).__name__}); "
                "its result says why.",
                type=error_types.UPDATE_NOT_ALLOWED,
                non_retryable=True,
            )
        return self._talk.proposal()

    @propose.validator
    def _check_propose(self) -> None:
        if not self._confirm_first and self._consent_decided:
            raise ApplicationError(
                "Cannot propose: this regeneration was started without "
                "options.confirm_first and is already past planning, so it is being paid "
                "for. Follow it with the progress query, or plan a new regeneration.",
                type=error_types.UPDATE_NOT_ALLOWED,
                non_retryable=True,
            )

    @workflow.update(name=conventions.CONFIRM_UPDATE)
    async def confirm(self, confirmation: Any = None) -> PlanProposal:
        """Pay for the current plan: returns the plan that will be generated. A plan that
        no longer fits a budget is refused (BudgetExceeded) and keeps waiting."""
        talk = self._talk
        await plan_spend.refuse_unless_it_fits(
            talk.first_input.job_id, talk.first_input.account_id,
            talk.plan.cost_estimate_usd, what=f"Plan revision {talk.revision}",
            shown_budgets=bool(talk.plan.budgets))
        if talk.state != "awaiting_confirmation":  # decided while the budgets were read
            return talk.proposal()
        self._talk.state = "confirmed"
        self._set_stage("confirmed", f"plan revision {self._talk.revision} confirmed")
        return self._talk.proposal()

    @confirm.validator
    def _check_confirm(self, confirmation: Any = None) -> None:
        confirmation = parse(Confirmation, confirmation, update=CONFIRM,
                             example=_CONFIRM_EXAMPLE, required=False)
        self._refuse(CONFIRM, revision=confirmation.revision)

    @workflow.update(name=conventions.REVISE_UPDATE)
    async def revise(self, revision: Any = None) -> PlanProposal:
        """Re-plan with a follow-up instruction (nothing paid); returns the new plan."""
        revision = parse(Revision, revision, update=REVISE, example=_REVISE_EXAMPLE,
                         required=True)
        talk = self._talk
        talk.state = "revising"
        self._set_stage("revising", f"re-planning with: {revision.instruction[:80]}")
        try:
            inp, context = talk.revised_request(revision.instruction)
            plan = await self._plan(inp, context)
        except BaseException:
            talk.state = "awaiting_confirmation"  # the previous plan stands
            raise
        talk.accept_revision(revision.instruction, plan)
        if patches.applies(patches.CONVERSATION_ANSWERS):
            # The new plan's own expiry (the wait sets the same one in this workflow task).
            talk.expires_at = confirm_first.expiry(self._confirm_timeout)
        return talk.proposal()

    @revise.validator
    def _check_revise(self, revision: Any = None) -> None:
        revision = parse(Revision, revision, update=REVISE, example=_REVISE_EXAMPLE,
                         required=True)
        self._refuse(REVISE, instruction=revision.instruction)

    @workflow.update(name=conventions.CANCEL_UPDATE)
    async def cancel(self, cancellation: Any = None) -> PlanProposal:
        """Drop the plan: the regeneration ends "cancelled" with nothing paid."""
        self._talk.state = "cancelled"
        return self._talk.proposal()

    @cancel.validator
    def _check_cancel(self, cancellation: Any = None) -> None:
        parse(Cancellation, cancellation, update=CANCEL, example=_CANCEL_EXAMPLE,
              required=False)
        self._refuse(CANCEL)

    def _refuse_unless_confirm_first(self, update: str) -> None:
        if not self._confirm_first:
            raise ApplicationError(
                f"Cannot {update}: this regeneration was not started with "
                "options.confirm_first nor planned with the propose Update, so it does not "
                "wait for a confirmation.",
                type=error_types.UPDATE_NOT_ALLOWED,
                non_retryable=True,
            )

    def _refuse(self, update: str, **details) -> None:
        self._refuse_unless_confirm_first(update)
        if self._talk is None:
            raise state_refusal(update, "planning")
        refusal = self._talk.refusal(update, **details)
        if refusal is not None:
            raise refusal
