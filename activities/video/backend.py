"""The one interface a video generator offers the activities: submit, check, fetch.

Two implementations: `VertexVeoBackend` (Veo 3.1 on Vertex AI, paid) and
`PreviewVideoBackend` (an offline renderer, used when no Veo credentials are set).
Both behave like a long-running provider: submit returns an operation name at once,
check reports on it without blocking, fetch returns the finished video, so the
workflow's submit -> wait -> store story is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from workflows.models import BackendName
from workflows.step_models import GenerationRequest, GenerationStatus


@dataclass(frozen=True)
class Accepted:
    """A submission the provider accepted: its operation, and the references sent with it
    (a reference that could not be read is skipped, so this may be fewer than asked)."""

    operation_name: str
    reference_image_urls: list[str] = field(default_factory=list)


@runtime_checkable
class VideoBackend(Protocol):
    name: BackendName

    async def submit(self, req: GenerationRequest) -> Accepted:
        """Start one generation (paid). A transport failure after the request may have
        reached the provider raises SubmissionOutcomeUnknown (errors.submit_error)."""
        ...

    async def check(self, operation_name: str) -> GenerationStatus:
        """One status request: running, succeeded, failed or filtered."""
        ...

    async def fetch_video(self, operation_name: str) -> bytes | str:
        """A finished generation's video: its bytes, or the gs:// URI it was written to."""
        ...

    async def aclose(self) -> None:
        """Release connections; safe to call more than once."""
        ...
