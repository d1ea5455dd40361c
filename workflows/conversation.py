"""The confirm-first conversation of one regeneration: its state and its rules.

Pure (no Temporal calls, no clock): the workflow holds one `PlanConversation` while it
waits for its caller, its Update validators ask `refusal(...)` whether an Update may
run now, and its handlers move the state. Every refusal says what to do instead.

    awaiting_confirmation --revise--> revising --(new plan)--> awaiting_confirmation
    awaiting_confirmation --confirm--> confirmed   (then paid for, never revised)
    awaiting_confirmation --cancel--> cancelled    (nothing paid)
    awaiting_confirmation --timeout--> expired     (nothing paid, PlanExpired)
"""

from __future__ import annotations

from datetime import datetime

from temporalio.exceptions import ApplicationError

from workflows.caps import MAX_REVISIONS, PROPOSAL_INSTRUCTIONS
from workflows.conventions import CANCEL_UPDATE as CANCEL
from workflows.conventions import CONFIRM_UPDATE as CONFIRM
from workflows.conventions import REVISE_UPDATE as REVISE
from workflows.decisions.temperature import band_of
from workflows.error_types import INVALID_INPUT, UPDATE_NOT_ALLOWED
from workflows.models import (
    ChatMessage,
    ConversationState,
    PlanProposal,
    PlanSummary,
    RegenerateClipInput,
)
from workflows.step_models import ClipContext, Plan
from workflows.validation import instruction_problems

__all__ = ["CANCEL", "CONFIRM", "REVISE", "PlanConversation", "joined_instruction",
           "state_refusal", "summary_of"]

_AFTER = {
    "confirmed": "the plan is already confirmed and is being paid for",
    "running": "the plan is already confirmed and is being paid for",
    "finished": "the plan was already confirmed and has run",
    "cancelled": "the plan was cancelled; nothing was paid",
    "expired": "the plan expired unconfirmed; nothing was paid",
}


def state_refusal(update: str, state: str) -> ApplicationError | None:
    """The refusal of an Update once the plan is decided (or still being made), or None."""
    if state in _AFTER:
        return _not_allowed(f"Cannot {update}: {_AFTER[state]}.")
    if state == "planning":
        return _not_allowed(
            f"Cannot {update} yet: the plan is still being made. Wait for the `propose` "
            "Update (sent with the start) to return it."
        )
    return None


def summary_of(plan: Plan) -> PlanSummary:
    """The caller-facing part of a plan."""
    return PlanSummary(**{field: getattr(plan, field) for field in PlanSummary.model_fields})


def joined_instruction(instructions: list[str]) -> str:
    """What a revised regeneration records as its user instruction: every turn, in order."""
    return " / then: ".join(instructions)


class PlanConversation:
    """The current plan, the instructions that made it, and where the conversation is."""

    def __init__(self, inp: RegenerateClipInput, context: ClipContext, plan: Plan) -> None:
        self.first_input = inp
        self.context = context
        self.plan = plan
        self.instructions = [inp.instruction]
        self.conversation = list(inp.conversation)
        self.revision = 1
        self.state: ConversationState = "awaiting_confirmation"
        self.expires_at: datetime | None = None

    # --- the rules ------------------------------------------------------------------

    def refusal(self, update: str, *, revision: int | None = None,
                instruction: str | None = None) -> ApplicationError | None:
        """Why `update` may not run now (a non-retryable error to raise), or None."""
        refused = state_refusal(update, self.state)
        if refused is not None:
            return refused
        if self.state == "revising":
            return _not_allowed(
                f"Cannot {update} while revision {self.revision + 1} is being planned; "
                "wait for the revise Update to return, then decide on the new plan."
            )
        if update == CONFIRM and revision is not None and revision != self.revision:
            return _not_allowed(
                f"Cannot confirm revision {revision}: the current plan is revision "
                f"{self.revision}. Show the user the current plan and confirm that one."
            )
        if update == REVISE and self.revision >= MAX_REVISIONS:
            return _not_allowed(
                f"Cannot revise: this plan has had {MAX_REVISIONS} revisions, the most one "
                "conversation takes. Confirm or cancel it, then plan again with the whole "
                "request in one instruction."
            )
        if update == REVISE and instruction is not None:
            found = instruction_problems(instruction)
            if found:
                return ApplicationError(
                    "Invalid follow-up instruction: " + "; ".join(found) + ".",
                    type=INVALID_INPUT, non_retryable=True,
                )
        return None

    # --- revising -------------------------------------------------------------------

    def revised_request(self, follow_up: str) -> tuple[RegenerateClipInput, ClipContext]:
        """What re-planning sees: the follow-up as the instruction, the plan being revised
        as the clip's current prompt, and the earlier turns in the conversation."""
        conversation = [
            *self.conversation,
            ChatMessage(role="user", content=self.instructions[-1]),
            ChatMessage(role="assistant", content=f"Planned prompt: {self.plan.prompt}"),
        ]
        inp = self.first_input.model_copy(
            update={"instruction": follow_up, "conversation": conversation}
        )
        context = self.context.model_copy(
            update={"prompt": self.plan.prompt, "negative_prompt": self.plan.negative_prompt}
        )
        return inp, context

    def accept_revision(self, follow_up: str, plan: Plan) -> None:
        self.conversation = self.revised_request(follow_up)[0].conversation
        self.instructions.append(follow_up)
        self.plan = plan
        self.revision += 1
        self.state = "awaiting_confirmation"

    # --- what the caller sees -------------------------------------------------------

    def confirmed_input(self) -> RegenerateClipInput:
        """The request as confirmed: every instruction of the conversation is recorded."""
        return self.first_input.model_copy(
            update={"instruction": joined_instruction(self.instructions)}
        )

    def proposal(self) -> PlanProposal:
        return PlanProposal(
            job_id=self.first_input.job_id,
            clip_index=self.first_input.clip_index,
            revision=self.revision,
            # The latest few only: a proposal per revision repeating every instruction
            # would grow history with the square of the revisions.
            instructions=self.instructions[-PROPOSAL_INSTRUCTIONS:],
            plan=summary_of(self.plan),
            temperature_band=band_of(self.plan.temperature),
            state=self.state,
            expires_at=self.expires_at,
        )


def _not_allowed(message: str) -> ApplicationError:
    return ApplicationError(message, type=UPDATE_NOT_ALLOWED, non_retryable=True)
