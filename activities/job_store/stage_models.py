"""Pydantic models of the four pipeline stages stored in `job_stages.metadata`.

They mirror what the pipeline writes (see activities/job_store/sample_job.json).
Unknown keys are kept (extra="allow") so a newer pipeline's fields survive a
round trip; the fields Retake relies on are typed strictly: clip indexes are real
integers, ids are UUIDs, costs are exact Decimals.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ClipIndex = Annotated[int, Field(strict=True, ge=0)]


class StageModel(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- video_generator -------------------------------------------------------------


class Clip(StageModel):
    clip_index: ClipIndex
    video_url: str | None = None
    actual_duration: float | None = None
    target_duration: float | None = None
    original_target_duration: float | None = None
    duration_diff: float | None = None
    status: str | None = None
    cost: Decimal | None = None
    retry_count: int = 0
    generation_time: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)  # generation_seed, model, ...
    # Written by Retake when a clip is regenerated:
    prompt: str | None = None
    negative_prompt: str | None = None
    temperature: float | None = None


class Clips(StageModel):
    """`metadata['clips']` of the video_generator stage."""

    job_id: UUID | None = None
    clips: list[Clip]
    total_clips: int | None = None
    successful_clips: int | None = None
    failed_clips: int | None = None
    total_cost: Decimal | None = None
    total_generation_time: float | None = None


# --- prompt_generator ------------------------------------------------------------


class ClipPrompt(StageModel):
    clip_index: ClipIndex
    prompt: str
    negative_prompt: str | None = None
    duration: float | None = None
    scene_reference_url: str | None = None
    character_reference_urls: list[str] = Field(default_factory=list)
    object_reference_urls: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ClipPrompts(StageModel):
    job_id: UUID | None = None
    clip_prompts: list[ClipPrompt]
    total_clips: int | None = None
    generation_time: float | None = None


# --- scene_planner ---------------------------------------------------------------


class FaceFeatures(StageModel):
    shape: str | None = None
    skin_tone: str | None = None
    nose: str | None = None
    mouth: str | None = None
    cheeks: str | None = None
    jawline: str | None = None
    distinctive_marks: str | None = None


class CharacterFeatures(StageModel):
    hair: str | None = None
    face_features: FaceFeatures | None = None
    eyes: str | None = None
    clothing: str | None = None
    accessories: str | None = None
    build: str | None = None
    age: str | None = None


class Character(StageModel):
    id: str
    role: str | None = None
    name: str | None = None
    description: str | None = None
    features: CharacterFeatures | None = None


class Scene(StageModel):
    id: str
    description: str | None = None
    time_of_day: str | None = None


class SceneObject(StageModel):
    id: str
    name: str | None = None
    description: str | None = None


class Style(StageModel):
    color_palette: list[str] = Field(default_factory=list)
    visual_style: str | None = None
    mood: str | None = None
    lighting: str | None = None
    cinematography: str | None = None


class ClipScript(StageModel):
    clip_index: ClipIndex
    start: float | None = None
    end: float | None = None
    visual_description: str | None = None
    motion: str | None = None
    camera_angle: str | None = None
    characters: list[str] = Field(default_factory=list)
    scenes: list[str] = Field(default_factory=list)
    objects: list[str] = Field(default_factory=list)
    lyrics_context: str | None = None
    beat_intensity: str | None = None


class Transition(StageModel):
    from_clip: int
    to_clip: int
    type: str
    duration: float | None = None
    rationale: str | None = None


class ScenePlan(StageModel):
    job_id: UUID | None = None
    video_summary: str | None = None
    characters: list[Character] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    objects: list[SceneObject] = Field(default_factory=list)
    style: Style | None = None
    clip_scripts: list[ClipScript] = Field(default_factory=list)
    transitions: list[Transition] = Field(default_factory=list)


# --- reference_generator ---------------------------------------------------------


class ReferenceImage(StageModel):
    scene_id: str | None = None
    character_id: str | None = None
    object_id: str | None = None
    variation_index: int = 0
    generation_time: float | None = None
    cost: Decimal | None = None
    image_url: str
    prompt_used: str | None = None


class ReferenceImages(StageModel):
    job_id: UUID | None = None
    scene_references: list[ReferenceImage] = Field(default_factory=list)
    character_references: list[ReferenceImage] = Field(default_factory=list)
    object_references: list[ReferenceImage] = Field(default_factory=list)
    total_references: int | None = None
    total_generation_time: float | None = None
    total_cost: Decimal | None = None


def first_validation_error(exc: ValidationError) -> str:
    """Where the first problem is and what it is, e.g. 'clips.0.prompt: Field required'."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "(root)"
    more = exc.error_count() - 1
    return f"{where}: {first['msg']}" + (f" (and {more} more errors)" if more else "")
