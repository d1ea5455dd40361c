"""Pydantic models that cross the workflow boundary.

Everything here is small on purpose: ids, one clip's compact context, the plan, an
operation name, a stored video's URL. Never the whole job's metadata, never video
bytes, never a secret. These models travel through Temporal history via
`temporalio.contrib.pydantic.pydantic_data_converter`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

DEFAULT_VIDEO_MODEL = "veo-3.1-generate-preview"
MAX_INSTRUCTION_CHARS = 2000


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
    poll_interval_seconds: float = 15.0
    deadline_seconds: float = 900.0  # the whole regeneration, Veo's wait included


class RegenerateClipInput(BaseModel):
    """What the chatbot backend sends: which clip, and what the user asked."""

    job_id: UUID
    clip_index: int
    instruction: str
    conversation: list[ChatMessage] = Field(default_factory=list)
    options: RegenerateOptions = Field(default_factory=RegenerateOptions)


class ClipContext(BaseModel):
    """One clip's compact context, loaded in one database round trip."""

    job_id: UUID
    clip_index: int
    total_clips: int
    video_url: str | None = None
    prompt: str
    negative_prompt: str | None = None
    original_seed: int | None = None  # metadata.generation_seed, if stored
    target_duration: float = 8.0
    scene_summary: str = ""  # scene, style and characters, for the LLM
    scene_reference_urls: list[str] = Field(default_factory=list)
    character_reference_urls: list[str] = Field(default_factory=list)
    current_version: int = 1  # the clip's current version number (1 = original)


class ClipRef(BaseModel):
    """Which clip: the input of the context loader."""

    job_id: UUID
    clip_index: int


class PromptRequest(BaseModel):
    """What the LLM (or the offline planner) needs to rewrite one clip's prompt."""

    instruction: str
    context: ClipContext
    conversation: list[ChatMessage] = Field(default_factory=list)  # the last few only


class PromptSuggestion(BaseModel):
    """A planner's answer before the pure refinement: prompt, temperature, why."""

    prompt: str
    temperature: float
    reasoning: str
    negative_prompt: str | None = None
    planner: PlannerKind
    template_id: str | None = None
    parsed_as_json: bool = True  # False when the LLM reply needed the text fallback


class Plan(BaseModel):
    """The decision, final: what will be sent to Veo and why."""

    prompt: str
    negative_prompt: str | None = None
    temperature: float
    reasoning: str
    seed: int
    seed_reused: bool
    template_id: str | None = None
    planner: PlannerKind
    duration_seconds: int  # 4, 6 or 8: what Veo 3.1 accepts
    reference_image_urls: list[str] = Field(default_factory=list)  # at most 3
    enhance_prompt: bool = True  # off for precise changes (temperature < 0.5)
    video_model: str = DEFAULT_VIDEO_MODEL
    cost_estimate_usd: Decimal


class GenerationRequest(BaseModel):
    """One paid video generation; regeneration_id makes submission idempotent."""

    regeneration_id: str
    job_id: UUID
    clip_index: int
    model: str
    prompt: str
    negative_prompt: str | None = None
    seed: int
    duration_seconds: int
    aspect_ratio: str = "16:9"
    reference_image_urls: list[str] = Field(default_factory=list)
    enhance_prompt: bool = True


class Submission(BaseModel):
    """An accepted generation: the provider's operation name, and which backend."""

    operation_name: str
    backend: Literal["veo", "preview"]
    resubmission_avoided: bool = False  # True when the ledger already had it


class WaitRequest(BaseModel):
    """Poll one operation until it is no longer running (see wait_for_generation)."""

    operation_name: str
    backend: Literal["veo", "preview"]


class GenerationState(str, Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    FILTERED = "filtered"


class GenerationStatus(BaseModel):
    """A finished (or still running) generation, without its bytes."""

    operation_name: str
    state: GenerationState
    video_gcs_uri: str | None = None  # set when Veo wrote to storageUri
    has_inline_bytes: bool = False  # bytes stay with the provider until stored
    error_code: int | None = None
    error_message: str | None = None
    filter_reasons: list[str] = Field(default_factory=list)
    polls: int = 1  # status requests it took, the last one included


class StoreVideoRequest(BaseModel):
    """Fetch a finished generation's video and store it under a deterministic key."""

    operation_name: str
    backend: Literal["veo", "preview"]
    job_id: UUID
    clip_index: int
    regeneration_id: str
    video_gcs_uri: str | None = None


class StoredVideo(BaseModel):
    url: str  # what the clip will carry as video_url
    sha256: str | None = None
    size_bytes: int | None = None
    backend: Literal["veo", "preview"]


class PersistRequest(BaseModel):
    """The new version of one clip, written in one transaction."""

    job_id: UUID
    clip_index: int
    regeneration_id: str
    video_url: str
    prompt: str
    negative_prompt: str | None = None
    user_instruction: str
    seed: int
    temperature: float


class PersistResult(BaseModel):
    version_number: int
    created: bool  # False when this regeneration id had already been persisted


class Progress(BaseModel):
    """Answer of the `progress` query; also shown in the Web UI's current details.

    Workflow time stands still between workflow events, so `elapsed_seconds` is as of
    the last stage change, and `polls` counts finished waits. While Veo runs, the live
    count of status checks is the pending `wait_for_generation` activity's attempt
    (`retake.console.pending_polls`, and the Web UI's pending activity).
    """

    stage: str
    detail: str = ""
    elapsed_seconds: float = 0.0
    polls: int = 0


class Timings(BaseModel):
    """Seconds spent per stage, measured with workflow time."""

    load: float = 0.0
    plan: float = 0.0
    generate: float = 0.0  # submit + wait
    store: float = 0.0
    persist: float = 0.0
    total: float = 0.0


class RegenerateClipResult(BaseModel):
    job_id: UUID
    clip_index: int
    status: Literal["completed", "planned"]  # "planned" for a dry run
    version: int | None = None
    video_url: str | None = None
    prompt: str
    negative_prompt: str | None = None
    temperature: float
    reasoning: str
    seed: int
    seed_reused: bool
    template_id: str | None = None
    planner: PlannerKind
    video_backend: Literal["veo", "preview"] | None = None
    cost_estimate_usd: Decimal
    polls: int = 0
    filtered_retries: int = 0
    timings: Timings = Field(default_factory=Timings)
