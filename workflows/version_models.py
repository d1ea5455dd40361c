"""The public API of a clip's versions: listing them, and making one current again.

Pydantic only, like workflows/models.py. ListClipVersionsWorkflow reads the versions
(the worker owns the database; the client stays light) and RevertClipWorkflow runs on
the clip's own workflow id, so a revert never races a regeneration of that clip.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field


class ClipVersionsInput(BaseModel):
    job_id: UUID
    clip_index: int


class ClipVersion(BaseModel):
    """One saved version; version 1 is the clip as the pipeline made it."""

    number: int
    current: bool
    instruction: str | None = None  # None for the original
    prompt: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    temperature: float | None = None
    policy_version: int | None = None  # where the database records it
    cost_usd: Decimal | None = None  # what it cost, where recorded (clip_versions.cost_usd)
    duration_seconds: float | None = None  # its delivered length, where recorded
    created_at: datetime
    video_url: str | None = None
    # The neighbouring frames it was joined to (issue 30): used, keep, first_frame and
    # last_frame, each naming its clip, version, end and hash; None: no continuity.
    continuity: dict | None = None


class ClipRevertRecord(BaseModel):
    """One revert, as recorded (clip_reverts)."""

    from_version: int | None = None
    to_version: int
    created_at: datetime


class ClipVersions(BaseModel):
    job_id: UUID
    clip_index: int
    versions: list[ClipVersion] = Field(default_factory=list)  # oldest first
    reverts: list[ClipRevertRecord] = Field(default_factory=list)  # oldest first


class RevertClipInput(BaseModel):
    job_id: UUID
    clip_index: int
    version: int


class RevertClipResult(BaseModel):
    job_id: UUID
    clip_index: int
    version: int  # current now
    previous_version: int | None = None  # current before the revert
    video_url: str | None = None
    prompt: str | None = None
