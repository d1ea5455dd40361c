"""The payloads the workflow passes to and from its activities: internal, not public API.

The chatbot backend never sees these (workflows/models.py holds what it sends and gets
back). They stay small on purpose: ids, one clip's compact context, the plan, an
operation name, a stored video's URL; never a job's whole metadata, video bytes or a
secret. They travel through history via `pydantic_data_converter`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from uuid import UUID

from pydantic import BaseModel, Field

from workflows.continuity_models import FrameRef, NeighbourFrames
from workflows.conventions import DEFAULT_POLL_INTERVAL_SECONDS
from workflows.models import (
    DEFAULT_VIDEO_MODEL,
    BackendName,
    ChatMessage,
    PlannerKind,
    PlanSummary,
)


class ClipContext(BaseModel):
    """One clip's compact context, loaded in one database round trip."""

    job_id: UUID
    clip_index: int
    prompt: str
    negative_prompt: str | None = None
    original_seed: int | None = None  # metadata.generation_seed, if stored
    target_duration: float = 8.0
    scene_summary: str = ""  # scene, style and characters, for the LLM
    # Each reference by its name (activities/video/reference_names.py): a signed URL's
    # query is a credential and stays in the job's metadata, out of history.
    scene_reference_urls: list[str] = Field(default_factory=list)
    character_reference_urls: list[str] = Field(default_factory=list)
    # References the worker's policy refused when loading, each with its reason (the plan
    # says so); empty in histories recorded before issue 27.
    references_dropped: list[str] = Field(default_factory=list)
    # Frames of the neighbouring clips, resolved only when continuity is asked (issue 30).
    neighbour_frames: NeighbourFrames | None = None


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


class Plan(PlanSummary):
    """The decision, final: what will be sent to Veo and why."""

    duration_seconds: int  # = generated_seconds: what is sent to Veo (4, 6 or 8)
    reference_image_urls: list[str] = Field(default_factory=list)  # what the model accepts
    enhance_prompt: bool = True  # off for precise changes (temperature < 0.5)
    video_model: str = DEFAULT_VIDEO_MODEL

    def cut_to_seconds(self) -> float | None:
        """The length the stored video is cut to, or None when it is kept whole."""
        return self.delivered_seconds if self.delivered_seconds < self.generated_seconds else None


class SubmittedRequest(BaseModel):
    """What a paid submission sends to Veo; as an echo (the ledger keeps it), what was
    actually sent: the saved version and the result are made from the echo, never from
    a plan recomputed on replay."""

    model: str
    prompt: str
    negative_prompt: str | None = None
    seed: int
    duration_seconds: int
    aspect_ratio: str = "16:9"
    reference_image_urls: list[str] = Field(default_factory=list)
    enhance_prompt: bool = True
    # Veo 3 models must be told (generateAudio). Off unless asked: the music video's song
    # replaces a clip's sound (issue 26); every echo since the field existed names it.
    generate_audio: bool = False
    resolution: str | None = None  # None: the worker's RETAKE_VEO_RESOLUTION for the model
    account_id: str | None = None  # the end user whose budget pays (RegenerateClipInput)
    # Set when the video will be cut to this length: it must come back to the worker, so it
    # is not written to VEO_OUTPUT_GCS_URI (the worker has no Cloud Storage client).
    delivered_seconds: float | None = None
    # The rules that made the plan (workflows/decisions/policy_version.py); not sent to Veo,
    # it marks each recorded submission for the plan-drift test.
    policy_version: int | None = None
    temperature: float | None = None  # not sent to Veo; saved with what was sent
    # Set on the echo only: references not sent, each with its reason (too big, not an
    # image, refused by the reference policy, ...); they never fail the paid step.
    references_dropped: list[str] = Field(default_factory=list)
    # Continuity (issue 30): instances[0].image and .lastFrame, by reference; None: not sent.
    first_frame: FrameRef | None = None
    last_frame: FrameRef | None = None
    keep: str = "start"  # which part of the video a cut keeps ("end": cut from the start)


class GenerationRequest(SubmittedRequest):
    """One paid video generation; regeneration_id makes submission idempotent."""

    regeneration_id: str
    job_id: UUID
    clip_index: int

    def as_submitted(self, references_sent: list[str],
                     references_dropped: list[str] | None = None) -> SubmittedRequest:
        """The echo of this request, with the references the backend actually sent."""
        fields = self.model_dump(include=set(SubmittedRequest.model_fields))
        return SubmittedRequest(**{**fields, "reference_image_urls": references_sent,
                                   "references_dropped": list(references_dropped or [])})


class Submission(BaseModel):
    """An accepted generation: the provider's operation name, and which backend."""

    operation_name: str
    backend: BackendName
    resubmission_avoided: bool = False  # True when the ledger already had it
    request: SubmittedRequest | None = None  # None only in histories recorded before the echo
    # Submissions that may have been paid without their operation reaching us (an
    # unclear outcome resubmitted): each a possible duplicate charge.
    possible_duplicate_charges: int = 0


class StoredVideo(BaseModel):
    url: str  # what the clip will carry as video_url
    sha256: str | None = None
    size_bytes: int | None = None
    backend: BackendName
    trimmed_to_seconds: float | None = None  # set when the generated video was cut


class StoreTarget(BaseModel):
    """Where the check that finds the video done stores it (patch store-in-final-check)."""

    job_id: UUID
    clip_index: int
    regeneration_id: str
    delivered_seconds: float | None = None  # cut the stored video to this; None: keep all
    keep: str = "start"


class WaitRequest(BaseModel):
    """Poll one operation until it is no longer running (see wait_for_generation)."""

    operation_name: str
    backend: BackendName
    # Set: the check that finds the video done stores it in the same attempt, from the same
    # answer (issue 34); None: the store step fetches it again (histories before the patch).
    store: StoreTarget | None = None


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
    error_code: int | None = None
    error_message: str | None = None
    filter_reasons: list[str] = Field(default_factory=list)
    polls: int = 1  # status requests it took, the last one included
    stored: StoredVideo | None = None  # set when the final check stored the video itself


class StoreVideoRequest(BaseModel):
    """Fetch a finished generation's video and store it under a deterministic key."""

    operation_name: str
    backend: BackendName
    job_id: UUID
    clip_index: int
    regeneration_id: str
    video_gcs_uri: str | None = None
    delivered_seconds: float | None = None  # trim the stored video to this; None: keep all
    keep: str = "start"  # which part the cut keeps ("end": a clip joined into the next one)


class PersistRequest(BaseModel):
    """The new version of one clip, written in one transaction."""

    job_id: UUID
    clip_index: int
    regeneration_id: str
    video_url: str
    prompt: str | None  # None only when nothing recorded what was sent (never invented)
    negative_prompt: str | None = None
    user_instruction: str
    seed: int | None
    temperature: float | None
    # What this generation delivered, so the clip entry describes the new clip (docs/data.md).
    # Defaults keep older payloads valid; None is written as null, never the old clip's value.
    duration_seconds: float | None = None  # the delivered length
    cost_usd: Decimal | None = None  # this generation's cost
    generation_seconds: float | None = None  # submit to finished, in workflow time
    policy_version: int | None = None  # the rules that made the plan (clip_versions.policy_version)
    # False for a video collected after its regeneration ended (deadline, cancellation):
    # saved as a version, while the clip keeps its current one.
    make_current: bool = True
    # Issue 30: the neighbouring frames this version was joined to (clip_versions.continuity).
    continuity: dict | None = None


class PersistResult(BaseModel):
    version_number: int
    created: bool  # False when this regeneration id had already been persisted


class RevertRequest(BaseModel):
    """Make a stored version current again; revert_id makes a retry a no-op."""

    job_id: UUID
    clip_index: int
    version: int
    revert_id: str


class LateCollectionRequest(BaseModel):
    """A paid generation to collect after its regeneration ended (CollectLateVideoWorkflow).

    `submission` is None when the regeneration ended while submitting: the collector
    asks the ledger (after the submit attempt has finished) whether anything was paid.
    """

    job_id: UUID
    clip_index: int
    submission_id: str  # the ledger key of the paid submission ({regeneration id}/{attempt})
    regeneration_id: str  # keys the stored video and the version, as in the regeneration
    user_instruction: str
    submission: Submission | None = None
    plan: Plan | None = None  # as submitted: what to save where an old echo lacks a fact
    poll_interval_seconds: float = DEFAULT_POLL_INTERVAL_SECONDS
