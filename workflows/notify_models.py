"""What a push to `options.notify_url` says (docs/operations.md, "Push notifications").

Pydantic only, like workflows/models.py: the workflow side builds it, the notify activity
(activities/notify/) signs and sends it, a receiver reads it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

NotifyEventKind = Literal["plan_expiring_soon", "completed", "failed"]


class NotifyEvent(BaseModel):
    """One push. `event_id` is stable across retries: receivers de-duplicate on it."""

    event_id: str  # "{workflow_id}:{first run id}:{event}"
    event: NotifyEventKind
    workflow_id: str
    job_id: UUID
    clip_index: int
    occurred_at: datetime
    # plan_expiring_soon: the plan still waiting and when it expires
    revision: int | None = None
    expires_at: datetime | None = None
    # completed: the new current version
    version: int | None = None
    video_url: str | None = None
    # failed: Retake's error type and its message (what to do)
    error_type: str | None = None
    error_message: str | None = None


class Notification(BaseModel):
    """NotifyWorkflow's input and the notify activity's: where to send which event."""

    url: str
    event: NotifyEvent
