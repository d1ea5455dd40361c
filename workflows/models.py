"""The public API of RegenerateClipWorkflow: what a caller sends and gets back.

Importable with pydantic alone, so a chatbot backend needs nothing from the worker
side. The step payloads between the workflow and its activities are internal and
live in workflows/step_models.py. Everything travels through Temporal history via
`temporalio.contrib.pydantic.pydantic_data_converter`; no secret ever does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from workflows.continuity_models import ContinuityPlan
from workflows.conventions import DEFAULT_POLL_INTERVAL_SECONDS
from workflows.spend_models import BudgetLeft

DEFAULT_VIDEO_MODEL = "veo-3.1-generate-001"  # decisions/veo_models.py lists what serves
MAX_INSTRUCTION_CHARS = 2000

BackendName = Literal["veo", "preview"]  # which video backend made a clip


class PlannerKind(str, Enum):
    """Who wrote the new prompt and temperature."""

    TEMPLATE = "template"  # one of the six templates, no LLM call
    LLM = "llm"  # GPT-4o with Structured Outputs
    OFFLINE = "offline"  # rules over the same policy, used when no OpenAI key is set


class ChatMessage(BaseModel):
    """One message of the chatbot conversation, for the LLM's context."""

    role: Literal["user", "assistant", "system"] = "user"
    content: str


class RegenerateOptions(BaseModel):
    """Knobs a caller may set per regeneration; defaults suit production."""

    dry_run: bool = False
    video_model: str = DEFAULT_VIDEO_MODEL
    aspect_ratio: Literal["16:9", "9:16"] = "16:9"
    # Veo's render size; None: the worker's RETAKE_VEO_RESOLUTION (1080p by default), where
    # the model renders it. The price per second is the same on Google's list.
    resolution: Literal["720p", "1080p"] | None = None
    poll_interval_seconds: float = DEFAULT_POLL_INTERVAL_SECONDS
    deadline_seconds: float = 900.0  # the whole regeneration, Veo's wait included
    # Confirm first (README "Plan, then confirm"): plan, then wait for a `confirm` Update
    # before paying; `revise` re-plans, `cancel` ends with nothing paid. With confirm_first,
    # deadline_seconds counts from the confirmation.
    confirm_first: bool = False
    confirm_timeout_seconds: float = 900.0  # an unconfirmed plan expires (PlanExpired)
    # Join the clip to its neighbours with Veo's first/last frames (issue 30); "none" lets
    # the instruction's words decide (workflows/decisions/continuity.py).
    continuity: Literal["none", "from_previous", "into_next", "both"] = "none"
    # Optional push (workflows/notify.py): signed JSON on plan expiring soon, done, failed;
    # sent only to hosts the workers allow (RETAKE_NOTIFY_HOSTS).
    notify_url: str | None = Field(default=None, max_length=2000)
    # Sound from Veo (generateAudio, priced higher): None follows the worker's
    # RETAKE_VEO_GENERATE_AUDIO (off by default: the song replaces a clip's sound).
    generate_audio: bool | None = None


class RegenerateClipInput(BaseModel):
    """What the chatbot backend sends: which clip, and what the user asked."""

    job_id: UUID
    clip_index: int
    instruction: str
    conversation: list[ChatMessage] = Field(default_factory=list)
    options: RegenerateOptions = Field(default_factory=RegenerateOptions)
    # Internal: the plan (workflows.step_models.Plan, as a dict) a RegenerateClipsWorkflow
    # batch already showed and had confirmed; the child generates it as is. Callers leave it
    # unset: from anyone but the job's batch it is refused (workflows/trust.py).
    approved_plan: dict | None = Field(
        default=None,
        description="INTERNAL: set only by RegenerateClipsWorkflow of the same job; any "
        "other sender is refused with InvalidInput. Leave it out.",
    )
    # Optional: the caller's id for this request. Starting again with the same id (a
    # retried HTTP call, a restarted chatbot) reuses the paid generation and the saved
    # version instead of paying again. Without it, the first run of the workflow keys
    # the paid work, which a workflow reset keeps.
    request_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")
    # Optional: the end user this regeneration is for; RETAKE_BUDGET_USD_PER_ACCOUNT_PER_DAY
    # limits what one account can spend in a UTC day.
    account_id: str | None = Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_.:@\-]+$")


class LateCollectionResult(BaseModel):
    """What became of a generation paid for but not delivered in time (deadline passed,
    or the regeneration was cancelled after Veo accepted it): the result of the
    CollectLateVideoWorkflow named in the error and in the `progress` query."""

    job_id: UUID
    clip_index: int
    operation_name: str | None = None  # None: nothing had been paid
    # collected_late: saved as a version that is NOT current (version, video_url say
    # where); already_saved: the regeneration had saved it before it ended; filtered /
    # failed: Veo produced no video; nothing_paid: no operation.
    outcome: Literal["collected_late", "already_saved", "filtered", "failed", "nothing_paid"]
    version: int | None = None
    video_url: str | None = None


class Progress(BaseModel):
    """Answer of the `progress` query; also shown in the Web UI's current details.

    Workflow time stands still between workflow events, so `elapsed_seconds` is as of
    the last stage change, and `polls` counts finished waits. While Veo runs, the live
    count of status checks is the pending `wait_for_generation` activity's attempt
    (`retake.client.pending_polls`, and the Web UI's pending activity).
    """

    stage: str
    detail: str = ""
    elapsed_seconds: float = 0.0
    polls: int = 0
    policy_version: int | None = None  # set once planned: the rules that made the plan
    # Set when a paid video outlived this regeneration (deadline, cancellation): the
    # workflow that collects it and saves it as a non-current version of the clip.
    late_collection_workflow_id: str | None = None


class Timings(BaseModel):
    """Seconds spent per stage, measured with workflow time."""

    load: float = 0.0
    plan: float = 0.0
    generate: float = 0.0  # submit + wait
    store: float = 0.0
    persist: float = 0.0
    total: float = 0.0


class UnappliedPart(BaseModel):
    """A part of the instruction the plan does not express, and why (tell the user)."""

    text: str  # in the user's words
    # not_expressed: the rules found no way to say it; other_language: not read;
    # instructions_to_system: reads as instructions to Retake, never followed.
    reason: Literal["not_expressed", "other_language", "instructions_to_system"]


class PlanSummary(BaseModel):
    """The decision as a caller sees it: the new prompt, how much randomness, and why."""

    prompt: str
    negative_prompt: str | None = None
    temperature: float
    reasoning: str
    seed: int
    seed_reused: bool
    template_id: str | None = None
    planner: PlannerKind
    cost_estimate_usd: Decimal  # of the generated seconds: what Veo bills
    generated_seconds: int = 8  # what Veo generates (8 whenever reference images are sent)
    delivered_seconds: float = 8.0  # the clip's length: the stored video is trimmed to it
    # workflows/decisions/policy_version.py: which rules made this plan (None: older runs).
    policy_version: int | None = None
    # Issue 30: the neighbouring frames it joins (clip, version, end, hash), or what it
    # could not join and why; None when no continuity was asked (and in every older plan).
    continuity: ContinuityPlan | None = None
    # Issue 26: whether Veo is asked for sound, the price per second that pays for it and
    # where that price comes from (True / None in plans made before), and what is left of
    # each budget that applies as the plan was made (empty: no budget set).
    generate_audio: bool = True
    price_per_second_usd: Decimal | None = None
    price_source: str | None = None
    budgets: list[BudgetLeft] | None = Field(default_factory=list)  # None read as [] (CLI)
    # One line a chatbot can show as is; and what of the instruction the plan left out.
    summary: str = ""
    # Never None in Python (read as []); the schema allows null because the Temporal CLI
    # prints an empty list as null.
    unapplied: list[UnappliedPart] | None = Field(default_factory=list)

    @field_validator("unapplied", "budgets", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value


class RegenerateClipResult(PlanSummary):
    job_id: UUID
    clip_index: int
    # "planned" for a dry run; "cancelled" when a confirm-first plan was cancelled (nothing paid)
    status: Literal["completed", "planned", "cancelled"]
    version: int | None = None
    video_url: str | None = None
    video_backend: BackendName | None = None
    polls: int = 0
    filtered_retries: int = 0
    # Submissions whose answer was lost and that were sent again (RETAKE_UNCLEAR_SUBMIT
    # =resubmit): each may have been charged without producing this video.
    possible_duplicate_charges: int = 0
    transient_resubmissions: int = 0  # failed Veo operations (13, 14, ...) submitted again
    timings: Timings = Field(default_factory=Timings)


ConversationState = Literal["awaiting_confirmation", "revising", "confirmed", "cancelled", "expired"]


class PlanProposal(BaseModel):
    """A confirm-first plan as the caller sees it before paying (answer of the Updates).

    `revision` counts plans (1, then +1 per `revise`); confirming with a revision makes
    sure the plan paid for is the one the user saw.
    """

    job_id: UUID
    clip_index: int
    revision: int
    instructions: list[str]  # the latest instructions (at most 5), oldest first; see `revision`
    plan: PlanSummary  # with generated_seconds (billed) and delivered_seconds (the clip's)
    temperature_band: str | None = None  # the policy band the temperature falls in
    state: ConversationState
    expires_at: datetime | None = None  # when an unconfirmed plan expires


# A caller's id for one confirm / revise / cancel call: retake.client sends it as the
# Update id, so a retried call is answered once, from the first answer.
def _request_id() -> Any:
    return Field(default=None, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")


class Confirmation(BaseModel):
    """Argument of `confirm`: optionally the revision the user saw (else the current one)."""

    revision: int | None = None
    request_id: str | None = _request_id()


class Revision(BaseModel):
    """Argument of `revise`: the user's follow-up instruction."""

    instruction: str
    request_id: str | None = _request_id()


class Cancellation(BaseModel):
    """Argument of `cancel` (optional)."""

    request_id: str | None = _request_id()
