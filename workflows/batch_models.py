"""The public API of RegenerateClipsWorkflow: several clips of one job, one confirmation.

Pydantic only, like workflows/models.py. One instruction for a list of clips (or
"all"), or one instruction per clip; one combined plan and total cost; then one child
RegenerateClipWorkflow per clip, at most `max_concurrent` at a time.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from workflows.models import ChatMessage, PlanSummary, RegenerateOptions
from workflows.spend_models import BudgetLeft

MAX_BATCH_CONCURRENCY = 20

ClipState = Literal[
    "planning",  # being planned
    "planned",  # planned, waiting for the batch's confirmation
    "plan_failed",  # could not be planned (e.g. ClipNotFound): never paid
    "busy",  # the clip was already being regenerated: reported, not overwritten
    "queued",  # confirmed, waiting for a free slot
    "running",  # its child RegenerateClipWorkflow runs
    "completed",
    "failed",  # its child failed (error_type says why); the others went on
    "not_run",  # the batch was cancelled or expired before it ran: nothing paid
]


class RegenerateClipsInput(BaseModel):
    """Which clips and what to change. Give `instruction` (for `clips`, a list or "all")
    or `instructions` (clip index -> instruction), not both."""

    job_id: UUID
    clips: list[int] | Literal["all"] = "all"
    instruction: str | None = None
    instructions: dict[int, str] = Field(default_factory=dict)
    conversation: list[ChatMessage] = Field(default_factory=list)
    # confirm_first (default here: True) waits for one `confirm` for the whole batch;
    # the other options apply to every clip.
    options: RegenerateOptions = Field(
        default_factory=lambda: RegenerateOptions(confirm_first=True)
    )
    max_concurrent: int = 3  # children running at once (Veo quota, cost pacing)
    # Optional: the end user the batch is for (RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY).
    account_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_.:@\-]+$")


class ClipOutcome(BaseModel):
    """One clip of the batch: its plan, its progress, and how it ended."""

    clip_index: int
    instruction: str
    state: ClipState = "planning"
    plan: PlanSummary | None = None
    workflow_id: str | None = None  # its child (regenerate-{job}-{clip})
    version: int | None = None
    video_url: str | None = None
    error_type: str | None = None
    error_message: str | None = None


class BatchPlan(BaseModel):
    """The combined plan (answer of the batch's Updates and of its `batch` query)."""

    job_id: UUID
    state: Literal["planning", "awaiting_confirmation", "confirmed", "cancelled", "expired",
                   "running", "finished"]
    clips: list[ClipOutcome]
    total_cost_estimate_usd: Decimal  # of the clips that would be (or were) paid for
    expires_at: datetime | None = None
    # Issue 26: what is left of each budget that applies, as planned (empty: none set), and
    # why the total does not fit (a confirm is then refused as a whole, BudgetExceeded).
    budgets: list[BudgetLeft] | None = Field(default_factory=list)  # None read as [] (CLI)
    over_budget: str | None = None

    @field_validator("budgets", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class RegenerateClipsResult(BatchPlan):
    completed: int = 0
    failed: int = 0  # failed + plan_failed
    busy: int = 0
