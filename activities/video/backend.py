"""The one interface a video generator offers the activities: submit, check, fetch.

Two implementations: `VertexVeoBackend` (Veo 3.1 on Vertex AI, paid) and
`PreviewVideoBackend` (an offline renderer, used when no Veo credentials are set).
Both behave like a long-running provider: submit returns an operation name at once,
check reports on it without blocking, `open_video` streams the finished video, so the
workflow's submit -> wait -> store story is the same for both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
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
    references_dropped: list[str] = field(default_factory=list)  # each with its reason


@dataclass
class FetchedVideo:
    """A finished generation's video: the URI it was written to (gs://), or its bytes
    as a stream of chunks (never the whole video in memory at once)."""

    uri: str | None = None
    chunks: AsyncIterator[bytes] | None = None


async def chunks_of(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    """Bytes already in memory (a small preview render) as a stream."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


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

    def open_video(self, operation_name: str) -> AbstractAsyncContextManager[FetchedVideo]:
        """A finished generation's video, open for streaming while the context lasts."""
        ...

    def check_and_open(self, operation_name: str
                       ) -> AbstractAsyncContextManager[tuple[GenerationStatus, FetchedVideo | None]]:
        """One status request that, when the generation succeeded, also opens its video
        from the same answer (issue 34: no second fetch of the finished operation)."""
        ...

    async def aclose(self) -> None:
        """Release connections; safe to call more than once."""
        ...
