"""Video activities: submit a generation once, poll it without holding a slot, store it.

`VideoActivities` owns the video backend (Veo on Vertex, or the offline preview), the
video store and the submission ledger. The workflow calls:

- `submit_generation`: one paid submission per regeneration id: reserve, submit, record.
- `wait_for_generation`: one status check per attempt; "still running" is a retryable
  GenerationPending error whose `next_retry_delay` says when to check again, from this
  model's recent generation times (activities/video/poll_schedule.py; the workflow's
  poll interval when there is no history). Temporal's infrequent-polling pattern: no
  worker slot held, no history growth.
- `store_generated_video`: streams the video to the store (hashed as it is written,
  temp file then rename), cutting it to the clip's delivered length with ffmpeg file to
  file when asked (Veo generates 8 s with reference images). It heartbeats, so a crash
  mid-download is retried within the heartbeat timeout; video bytes never travel
  through workflow history and are never held whole in memory.
- `configured_backend` (issue 12): which backend this worker submits to; the workflow asks
  it once and routes submit/wait/store to that backend's task queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities import errors
from activities.config import Settings
from activities.errors import non_retryable
from activities.heartbeat import heartbeating
from activities.job_store.reference_urls import full_reference_urls
from activities.postgres.faults import CONNECTION_FAULTS, database_unavailable
from activities.video import poll_schedule
from activities.video.backend import VideoBackend
from activities.video.budgets import Budgets
from activities.video.frames import FrameReader
from activities.video.generation_times import GenerationTimes
from activities.video.preview_backend import PreviewVideoBackend
from activities.video.reference_names import reference_name
from activities.video.store import LocalVideoStore, VideoStore, remote_video, video_key
from activities.video.submission_ledger import HeldReservation, SubmissionLedger
from activities.video.trim import TrimError, trim_mp4_file_bounded
from activities.video.veo_backend import VertexVeoBackend
from workflows.decisions.veo_models import estimate_cost
from workflows.error_types import (
    DATABASE_UNAVAILABLE,
    GENERATION_FAILED,
    GENERATION_PENDING,
    INVALID_INPUT,
    SUBMISSION_OUTCOME_UNKNOWN,
)
from workflows.models import BackendName, LateCollectionResult
from workflows.step_models import (
    ClipRef,
    GenerationRequest,
    GenerationState,
    GenerationStatus,
    StoredVideo,
    StoreVideoRequest,
    Submission,
    SubmittedRequest,
    WaitRequest,
)
from workflows.trust import generation_problems

POSSIBLE_DUPLICATE_METRIC = "retake_veo_possible_duplicate_charges"
# Issue 26: money committed to Veo at reservation, by model, in US cents (Temporal's
# counters count integers); dashboards divide by 100.
COMMITTED_CENTS_METRIC = "retake_veo_committed_usd_cents"


def record_waits() -> Iterator[float]:
    """The waits, in seconds, between tries of an accepted operation's ledger write while
    Postgres is away: 0.2, doubling, then 5 each (0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, ...).

    Short at first, so a blip costs a fraction of a second; capped, so Postgres back after
    a long outage is written to within 5 s, not after a wait as long as the outage. The
    tries end at RETAKE_LEDGER_RETRY_SECONDS (`_record`); docs/operations.md states this
    schedule.
    """
    delay = 0.2
    while True:
        yield delay
        delay = min(delay * 2, 5.0)


class _Beat:
    """What submit's heartbeats carry: the accepted operation, once there is one.

    Heartbeat details outlive the attempt (Temporal hands them to the next one), so
    an operation accepted by an attempt that then failed to record it is adopted by
    the retry, on this worker or another, instead of being paid for again.
    """

    def __init__(self, operation_name: str | None = None, backend: BackendName | None = None,
                 request: SubmittedRequest | None = None) -> None:
        self.operation_name, self.backend, self.request = operation_name, backend, request

    @classmethod
    def from_previous_attempt(cls) -> _Beat:
        details = activity.info().heartbeat_details if activity.in_activity() else []
        try:
            last: Any = details[-1] if details else None
            return cls(last["operation_name"], last["backend"],
                       SubmittedRequest.model_validate(last["request"]))
        except (TypeError, KeyError, ValueError):
            return cls()

    def accepted(self, operation_name: str, backend: BackendName, request: SubmittedRequest) -> None:
        self.operation_name, self.backend, self.request = operation_name, backend, request
        activity.heartbeat(*self.details())  # at once: the next beat may never come

    def details(self) -> list[dict]:
        if self.operation_name is None:
            return []
        return [{"operation_name": self.operation_name, "backend": self.backend,
                 "request": self.request.model_dump(mode="json")}]


class VideoActivities:
    def __init__(
        self,
        backend: VideoBackend,
        store: VideoStore,
        ledger: SubmissionLedger,
        *,
        preview: PreviewVideoBackend,
        ledger_retry_seconds: float,  # no default here: RETAKE_LEDGER_RETRY_SECONDS's is the one
        unclear_submit: Literal["resubmit", "fail"] = "resubmit",
        times: GenerationTimes | None = None,
        adaptive_polling: bool = True,
    ) -> None:
        self._backend = backend  # where new generations are submitted
        self._store = store
        self._ledger = ledger
        self._preview = preview  # preview operations stay checkable on a Veo worker
        self._unclear_submit = unclear_submit
        self._ledger_retry_seconds = ledger_retry_seconds
        self._times = times or GenerationTimes(ledger.pool)
        self._adaptive = adaptive_polling

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool) -> VideoActivities:
        frames = FrameReader(settings.videos_dir)  # continuity frames, kept with the videos
        preview = PreviewVideoBackend(preview_spool_dir(settings), frames=frames)
        backend: VideoBackend = preview
        if settings.uses_veo:  # refuses to start when Veo cannot be used as configured
            backend = VertexVeoBackend.from_settings(settings, frames=frames)
        store = LocalVideoStore(settings.videos_dir, settings.video_public_base_url)
        ledger = SubmissionLedger(pool, Budgets.from_settings(settings))
        return cls(backend, store, ledger, preview=preview,
                   unclear_submit=settings.unclear_submit,
                   ledger_retry_seconds=settings.ledger_retry_seconds,
                   adaptive_polling=settings.adaptive_polling)

    @property
    def backend_name(self) -> BackendName:
        return self._backend.name

    @activity.defn
    async def configured_backend(self) -> BackendName:
        """This worker's video backend: where the workflow routes the generation."""
        return self.backend_name

    @activity.defn
    async def submit_generation(self, req: GenerationRequest) -> Submission:
        """Pay for one generation per regeneration id: reserve, then submit, then record.

        The ledger (activities/video/submission_ledger.py) is locked for the regeneration
        id, so overlapping attempts queue; an accepted operation found there, or in the
        heartbeat details a previous attempt left, is adopted instead of paid again. The
        accepted operation goes into heartbeat details at once, and its ledger write is
        retried here (RETAKE_LEDGER_RETRY_SECONDS) before the attempt gives up and
        leaves it to the next one. A cancellation does not interrupt a paid call or its
        record: both finish first.
        """
        found = generation_problems(req)  # whatever built it: refused before any reservation
        if found:
            raise errors.non_retryable(
                f"Refused to pay for regeneration {req.regeneration_id}: " + "; ".join(found)
                + ". Nothing was paid; plan the clip again (Retake's planner never builds this).",
                INVALID_INPUT,
            )
        beat = _Beat.from_previous_attempt()
        async with heartbeating(details=beat.details):
            paid = asyncio.ensure_future(self._submit_reserved(req, beat))
            try:
                return await asyncio.shield(paid)
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    await paid  # record what was paid before giving up
                raise

    async def _submit_reserved(self, req: GenerationRequest, beat: _Beat) -> Submission:
        try:
            async with self._ledger.reservation(req) as held:
                recorded = await self._pay_once(req, held, beat)
                if recorded is not None:
                    return recorded
        except CONNECTION_FAULTS as exc:
            if beat.operation_name is None:  # nothing accepted yet: nothing to record
                raise database_unavailable("reserving the Veo submission", exc) from exc
        # Accepted, but the reservation's connection failed while recording it: record
        # on fresh connections (the lock went with the old one).
        return await self._record(req, beat)

    async def _pay_once(
        self, req: GenerationRequest, held: HeldReservation, beat: _Beat
    ) -> Submission | None:
        """Under the reservation lock: adopt, or pay and record. None: accepted, but the
        record failed on this connection (the caller retries it on fresh ones)."""
        prior = await held.current()
        if prior.submission is not None:
            activity.logger.info("submit_generation avoided a resubmission: %s",
                                 prior.submission.operation_name)
            return prior.submission
        avoided = False
        if beat.operation_name:  # a previous attempt was accepted but not recorded
            activity.logger.info("submit_generation adopted %s from heartbeat details",
                                 beat.operation_name)
        elif (earlier := await held.paid_and_uncollected()) is not None:
            activity.logger.info("submit_generation reuses %s, paid by an earlier "
                                 "regeneration (e.g. collected after a deadline)",
                                 earlier.operation_name)
            beat.accepted(earlier.operation_name, earlier.backend, earlier.request)
            avoided = True
        else:
            await self._pay(req, held, beat, unclear=prior.state == "submitting")
        try:
            recorded = await held.record(beat.operation_name, beat.backend, beat.request)
        except CONNECTION_FAULTS:
            return None
        if avoided:
            recorded = recorded.model_copy(update={"resubmission_avoided": True})
        activity.logger.info("submit_generation backend=%s operation=%s",
                             recorded.backend, recorded.operation_name)
        return recorded

    async def _pay(
        self, req: GenerationRequest, held: HeldReservation, beat: _Beat, *, unclear: bool
    ) -> None:
        """The paid POST, after the reservation is committed as 'submitting'. `unclear`:
        an earlier attempt left it 'submitting', so a POST may already have been paid."""
        if unclear and self._unclear_submit == "fail":
            raise self._outcome_unknown(req, "an earlier attempt")
        # The request names signed references; the job's metadata holds their full URLs.
        urls, missing = await full_reference_urls(
            self._ledger.pool, ClipRef(job_id=req.job_id, clip_index=req.clip_index),
            req.reference_image_urls)
        await held.mark_submitting(self._backend.name, possible_duplicate=unclear)
        self._count_committed(req)
        if unclear:
            self._count_possible_duplicate(req)
        try:
            accepted = await self._backend.submit(
                req.model_copy(update={"reference_image_urls": urls}))
        except Exception as err:  # the backend names unclear outcomes
            if getattr(err, "type", None) != SUBMISSION_OUTCOME_UNKNOWN:
                await held.reopen()  # clearly refused, or never sent: nothing paid
            elif self._unclear_submit == "fail":
                raise self._outcome_unknown(req, "this attempt") from err
            raise
        sent = [reference_name(url) for url in accepted.reference_image_urls]
        beat.accepted(accepted.operation_name, self._backend.name,
                      req.as_submitted(sent, [*missing, *accepted.references_dropped]))

    async def _record(self, req: GenerationRequest, beat: _Beat) -> Submission:
        """Write the accepted operation, retrying Postgres faults (waits: `record_waits`)
        until the next wait would pass RETAKE_LEDGER_RETRY_SECONDS."""
        give_up = time.monotonic() + self._ledger_retry_seconds
        waits = record_waits()
        while True:
            try:
                recorded = await self._ledger.record(
                    req, beat.operation_name, beat.backend, beat.request)
            except CONNECTION_FAULTS as exc:
                delay = next(waits)
                if time.monotonic() + delay > give_up:
                    raise errors.retryable(
                        f"Veo accepted {beat.operation_name}, but Postgres could not record it "
                        f"({type(exc).__name__}); the next attempt adopts it from the heartbeat "
                        "details instead of paying again. Retrying.",
                        DATABASE_UNAVAILABLE,
                    ) from exc
                await asyncio.sleep(delay)
                continue
            activity.logger.info("submit_generation backend=%s operation=%s",
                                 recorded.backend, recorded.operation_name)
            return recorded

    def _outcome_unknown(self, req: GenerationRequest, who: str) -> ApplicationError:
        return errors.non_retryable(
            f"Whether Veo accepted (and charged for) the submission of regeneration "
            f"{req.regeneration_id} is unknown: {who} sent it and its answer was lost. "
            "RETAKE_UNCLEAR_SUBMIT=fail stops here instead of paying again; check the Vertex "
            "billing/operations for this clip, then start the regeneration again.",
            SUBMISSION_OUTCOME_UNKNOWN,
        )

    def _count_committed(self, req: GenerationRequest) -> None:
        cost = estimate_cost(req.model, req.duration_seconds, req.generate_audio)
        activity.metric_meter().create_counter(
            COMMITTED_CENTS_METRIC, "US cents committed to Veo at reservation, by model",
        ).add(int(cost * 100), {"model": req.model})

    def _count_possible_duplicate(self, req: GenerationRequest) -> None:
        activity.logger.warning(
            "submit_generation resubmits %s after an unclear outcome: a possible duplicate "
            "charge (RETAKE_UNCLEAR_SUBMIT=resubmit)", req.regeneration_id)
        activity.metric_meter().create_counter(
            POSSIBLE_DUPLICATE_METRIC,
            "Veo submissions sent again after an unclear outcome (each may be charged twice)",
        ).add(1)

    @activity.defn
    async def find_submission(self, regeneration_id: str) -> Submission | None:
        """The operation accepted for a regeneration, after any attempt still submitting it
        has finished (a regeneration cancelled mid-submit still records what it paid)."""
        try:
            async with heartbeating():
                return await self._ledger.settled(regeneration_id)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable("reading the submission ledger", exc) from exc

    @activity.defn
    async def record_late_collection(self, collected: LateCollectionResult) -> None:
        """Mark an operation as collected after its regeneration ended, and where it went."""
        try:
            await self._ledger.set_outcome(
                collected.operation_name, "collected_late", video_url=collected.video_url,
                version_number=collected.version)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable("recording a late collection", exc) from exc

    @activity.defn
    async def wait_for_generation(self, req: WaitRequest) -> GenerationStatus:
        """One status check. Still running -> retryable GenerationPending, with the delay
        to the next check; succeeded, failed and filtered are returned for the workflow.

        With enough history for the model, an attempt that comes before the first
        check worth making asks Veo nothing and only schedules that check.
        """
        info = activity.info()
        fallback = _poll_interval(info)
        timing = (await self._times.timing(req.operation_name, fallback) if self._adaptive
                  else None)
        schedule = timing.schedule if timing else None
        early = poll_schedule.wait_before_first_check(schedule, timing.elapsed if timing else 0.0,
                                                      fallback)
        if early is not None:
            raise _pending(req.operation_name, "not checked yet: Veo rarely finishes this "
                           f"soon; first check in {early:.1f} s", early)
        if req.store is not None:
            return await self._check_and_store(req, timing, schedule, fallback)
        async with heartbeating():
            status = await self._backend_for(req.backend).check(req.operation_name)
        return await self._finished_or_pending(req, status, timing, schedule, fallback)

    async def _check_and_store(self, req: WaitRequest, timing, schedule,
                               fallback: float) -> GenerationStatus:
        """The check that finds the video done stores it from the same answer (issue 34):
        no second fetch and no store task. A retried attempt that finds it stored (a crash
        after the store) asks Veo nothing; a crash mid-store re-checks and stores again
        under the same key (the store is idempotent, nothing is paid)."""
        target = req.store
        key = video_key(target.job_id, target.clip_index, target.regeneration_id)
        store_req = StoreVideoRequest(operation_name=req.operation_name, backend=req.backend,
                                      job_id=target.job_id, clip_index=target.clip_index,
                                      regeneration_id=target.regeneration_id,
                                      delivered_seconds=target.delivered_seconds,
                                      keep=target.keep)
        async with heartbeating():
            stored = await self._store.find(key, req.backend)
            if stored is not None:
                status = GenerationStatus(operation_name=req.operation_name,
                                          state=GenerationState.SUCCEEDED)
            else:
                backend = self._backend_for(req.backend)
                async with backend.check_and_open(req.operation_name) as (status, video):
                    if video is not None and video.uri:
                        status = status.model_copy(update={"video_gcs_uri": video.uri})
                        stored = remote_video(video.uri, req.backend)
                    elif video is not None:
                        stored = await self._put(key, video.chunks, store_req)
        if stored is not None and not stored.url.startswith("gs://"):
            stored = stored.model_copy(update={"trimmed_to_seconds": target.delivered_seconds})
        status = await self._finished_or_pending(req, status, timing, schedule, fallback)
        return status.model_copy(update={"stored": stored})

    async def _finished_or_pending(self, req: WaitRequest, status: GenerationStatus, timing,
                                   schedule, fallback: float) -> GenerationStatus:
        """Running: GenerationPending with the delay to the next check. Finished: the
        outcome recorded (bookkeeping never fails the wait) and returned."""
        info = activity.info()
        if status.state == GenerationState.RUNNING:
            await self._times.saw_running(req.operation_name)
            elapsed = timing.elapsed if timing else 0.0
            delay = poll_schedule.next_check_in(schedule, elapsed, fallback)
            raise _pending(req.operation_name, f"still running (attempt {info.attempt})", delay)
        checks = await self._times.saw_finished(req.operation_name, status.state.value)
        try:
            await self._ledger.set_outcome(req.operation_name, status.state)
        except CONNECTION_FAULTS as exc:  # bookkeeping: never fail a finished wait for it
            activity.logger.warning("could not record the outcome of %s: %s",
                                    req.operation_name, type(exc).__name__)
        activity.logger.info("wait_for_generation operation=%s state=%s checks=%s",
                             req.operation_name, status.state.value, checks or info.attempt)
        return status.model_copy(update={"polls": checks or info.attempt})

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
        async with heartbeating():  # from the start: find and fsync wait for a thread
            stored = await self._store.find(key, req.backend)  # a previous attempt finished
            if stored is None:
                async with self._backend_for(req.backend).open_video(req.operation_name) as video:
                    if video.uri:
                        return remote_video(video.uri, req.backend)
                    stored = await self._put(key, video.chunks, req)
        activity.logger.info("store_generated_video key=%s size=%s", key, stored.size_bytes)
        return stored.model_copy(update={"trimmed_to_seconds": req.delivered_seconds})

    async def _put(self, key: str, chunks, req: StoreVideoRequest) -> StoredVideo:
        """Stream to the store; a video to be cut goes to a scratch file, then ffmpeg."""
        if req.delivered_seconds is None:
            return await self._store.put_stream(key, chunks, req.backend)
        with self._store.scratch_file() as whole, self._store.scratch_file() as cut:
            with whole.open("wb") as handle:
                async for chunk in chunks:
                    handle.write(chunk)
            try:
                await trim_mp4_file_bounded(whole, cut, req.delivered_seconds, req.keep)
            except TrimError as exc:
                raise non_retryable(f"{exc}. The generated video could not be cut to the "
                                    "clip's length; regenerate the clip.", GENERATION_FAILED) from None
            return await self._store.put_file(key, cut, req.backend)

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


def _pending(operation_name: str, what: str, delay: float | None) -> ApplicationError:
    """Retryable GenerationPending; `delay` (None: the retry policy's interval) is when the
    server runs the next attempt. Expected, so not logged as a failure."""
    return ApplicationError(
        f"Generation {operation_name} is {what}; the retry policy will check again.",
        type=GENERATION_PENDING,
        category=ApplicationErrorCategory.BENIGN,
        next_retry_delay=timedelta(seconds=delay) if delay is not None else None,
    )


def _poll_interval(info: activity.Info) -> float:
    """The workflow's poll interval: its retry policy's fixed interval (15 s if unset)."""
    policy = info.retry_policy
    if policy is None or policy.initial_interval is None:
        return 15.0
    return policy.initial_interval.total_seconds()


def preview_spool_dir(settings: Settings) -> Path:
    """Where the preview backend keeps its pending operations."""
    return settings.data_dir / "preview-operations"
