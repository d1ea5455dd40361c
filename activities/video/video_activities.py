"""Video activities: submit a generation once, poll it without holding a slot, store it.

`VideoActivities` owns the video backend (Veo on Vertex, or the offline preview), the
video store and the submission ledger. The workflow calls:

- `submit_generation`: at most one paid submission per regeneration id (ledger first).
- `wait_for_generation`: one status check per attempt; "still running" is a retryable
  GenerationPending error, so the workflow's retry policy is the poll interval
  (Temporal's infrequent-polling pattern: no worker slot held, no history growth).
- `store_generated_video`: fetches, trims to the clip's delivered length (Veo generates
  8 s with reference images) and stores the bytes in the same activity, so video bytes
  never travel through workflow history.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.config import Settings
from activities.errors import non_retryable
from activities.heartbeat import heartbeating
from activities.video.backend import VideoBackend
from activities.video.preview_backend import PreviewVideoBackend
from activities.video.store import LocalVideoStore, VideoStore, remote_video, video_key
from activities.video.submission_ledger import SubmissionLedger
from activities.video.trim import TrimError, trim_mp4
from activities.video.veo_backend import VertexVeoBackend
from workflows.error_types import GENERATION_FAILED, GENERATION_PENDING, INVALID_INPUT
from workflows.models import BackendName
from workflows.step_models import (
    GenerationRequest,
    GenerationState,
    GenerationStatus,
    StoredVideo,
    StoreVideoRequest,
    Submission,
    WaitRequest,
)


class VideoActivities:
    def __init__(
        self,
        backend: VideoBackend,
        store: VideoStore,
        ledger: SubmissionLedger,
        *,
        preview: PreviewVideoBackend,
    ) -> None:
        self._backend = backend  # where new generations are submitted
        self._store = store
        self._ledger = ledger
        self._preview = preview  # preview operations stay checkable on a Veo worker

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool) -> VideoActivities:
        preview = PreviewVideoBackend(preview_spool_dir(settings))
        backend: VideoBackend = preview
        if settings.uses_veo:  # refuses to start when Veo cannot be used as configured
            backend = VertexVeoBackend.from_settings(settings)
        store = LocalVideoStore(settings.videos_dir, settings.video_public_base_url)
        return cls(backend, store, SubmissionLedger(pool), preview=preview)

    @activity.defn
    async def submit_generation(self, req: GenerationRequest) -> Submission:
        """Submit one generation, unless this regeneration id was already submitted.

        The ledger is read first and written right after the provider answers. The one
        window left for a second paid submission is a crash (or a lost connection to
        Postgres) between the provider accepting the request and the ledger insert
        committing: one HTTP response plus one INSERT, milliseconds wide.
        """
        existing = await self._ledger.get(req.regeneration_id)
        if existing is not None:
            activity.logger.info("submit_generation avoided a resubmission: %s",
                                 existing.operation_name)
            return existing
        async with heartbeating():
            operation_name = await self._backend.submit(req)
        submission = Submission(operation_name=operation_name, backend=self._backend.name)
        recorded = await self._ledger.record(req, submission)
        activity.logger.info("submit_generation backend=%s operation=%s",
                             recorded.backend, recorded.operation_name)
        return recorded

    @activity.defn
    async def wait_for_generation(self, req: WaitRequest) -> GenerationStatus:
        """One status check. Still running -> retryable GenerationPending (polled again by
        the retry policy); succeeded, failed and filtered are returned for the workflow."""
        attempt = activity.info().attempt
        async with heartbeating():
            status = await self._backend_for(req.backend).check(req.operation_name)
        if status.state == GenerationState.RUNNING:
            raise ApplicationError(
                f"Generation {req.operation_name} is still running (check {attempt}); "
                "the retry policy will check again.",
                type=GENERATION_PENDING,
                category=ApplicationErrorCategory.BENIGN,  # expected: not logged as a failure
            )
        activity.logger.info("wait_for_generation operation=%s state=%s checks=%d",
                             req.operation_name, status.state.value, attempt)
        return status.model_copy(update={"polls": attempt})

    @activity.defn
    async def store_generated_video(self, req: StoreVideoRequest) -> StoredVideo:
        """Fetch the finished video, cut it to `delivered_seconds` when set, and store it
        under its deterministic key (idempotent: the cut is deterministic too).

        A video Veo wrote to Cloud Storage is recorded as is: one to be cut is never sent
        there (GenerationRequest.delivered_seconds), so this is a whole-length video.
        """
        if req.video_gcs_uri:
            if req.delivered_seconds is not None:  # submitted before that rule: said, not hidden
                activity.logger.warning(
                    "store_generated_video: %s is in Cloud Storage and is recorded uncut; "
                    "the clip's length is %.3g s", req.video_gcs_uri, req.delivered_seconds)
            return remote_video(req.video_gcs_uri, req.backend)
        key = video_key(req.job_id, req.clip_index, req.regeneration_id)
        stored = await self._store.find(key, req.backend)  # a previous attempt finished
        if stored is None:
            async with heartbeating():
                video = await self._backend_for(req.backend).fetch_video(req.operation_name)
                if isinstance(video, str):
                    return remote_video(video, req.backend)
                if req.delivered_seconds is not None:
                    video = await asyncio.to_thread(_trimmed, video, req.delivered_seconds)
                stored = await self._store.put(key, video, req.backend)
        activity.logger.info("store_generated_video key=%s size=%s", key, stored.size_bytes)
        return stored.model_copy(update={"trimmed_to_seconds": req.delivered_seconds})

    async def aclose(self) -> None:
        await self._backend.aclose()

    def _backend_for(self, name: BackendName) -> VideoBackend:
        if name == self._backend.name:
            return self._backend
        if name == "preview":
            return self._preview
        raise non_retryable(
            "This operation was submitted to Veo, but this worker has no Veo credentials "
            "configured. Run it on a worker with GOOGLE_CLOUD_PROJECT and Google credentials.",
            INVALID_INPUT,
        )


def _trimmed(video: bytes, seconds: float) -> bytes:
    try:
        return trim_mp4(video, seconds)
    except TrimError as exc:
        raise non_retryable(f"{exc}. The generated video could not be cut to the clip's "
                            "length; regenerate the clip.", GENERATION_FAILED) from None


def preview_spool_dir(settings: Settings) -> Path:
    """Where the preview backend keeps its pending operations."""
    return settings.data_dir / "preview-operations"
