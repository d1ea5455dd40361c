"""The step calls every workflow shares: one definition each, public names only.

Each function schedules one activity (or local activity) with its named timeouts
(workflows/step_options.py) and returns its typed result; the workflows tell their story
with these (like temporal-ai-agent's `workflow_helpers.py`). Call them from workflow code
only. A step that runs out of time or retries fails as a typed StepTimedOut
(workflows/step_failures.py), whichever workflow ran it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.conventions as conventions
    import workflows.patches as patches
    from activities.job_store.job_store_activities import JobStoreActivities
    from activities.planner.prompt_activities import PromptActivities
    from activities.video.frame_activities import FrameActivities
    from activities.video.spend_activities import SpendActivities
    from activities.video.video_activities import VideoActivities
    from workflows.continuity_models import NeighbourFrames, NeighbourFramesRequest
    from workflows.spend_models import SpendQuery, SpendTerms
    from workflows.step_failures import step_name, step_timed_out, typed_step_failure
    from workflows.step_models import (
        ClipContext,
        ClipRef,
        GenerationStatus,
        PersistRequest,
        PersistResult,
        PromptRequest,
        PromptSuggestion,
        StoredVideo,
        StoreTarget,
        StoreVideoRequest,
        Submission,
        WaitRequest,
    )
    from workflows.step_options import (
        BACKEND_LOOKUP,
        DATABASE_STEP,
        HEARTBEAT,
        NON_RETRYABLE,
        PLANNER_STEP,
        SHORT_RETRY,
        STATUS_CHECK,
        STEP_BUDGET,
        STORE_ATTEMPT,
        STORE_STEP_OPTIONS,
        attempts_within,
        poll_retry,
    )

T = TypeVar("T")


async def local_step(
    activity, arg, *, summary: str, timeout: timedelta, budget: timedelta = STEP_BUDGET
):
    """Run a short, idempotent step as a local activity within the shared retry budget.

    The SDK (temporalio 1.35) keeps retrying a failing local activity past its
    schedule_to_close_timeout, so under patches.STEP_BUDGET the budget is an attempt
    count: as many attempts as can start within it. (A workflow timer around the step was
    tried first; when the step outlasted a workflow task the timer reached history, and a
    replay elsewhere, where the step resolves from its marker at once, never issued it.)
    """
    if not patches.applies(patches.STEP_BUDGET):
        return await workflow.execute_local_activity_method(
            activity, arg, start_to_close_timeout=timeout, schedule_to_close_timeout=budget,
            retry_policy=SHORT_RETRY, summary=summary,
        )
    retry = dataclasses.replace(
        SHORT_RETRY, maximum_attempts=attempts_within(budget, timeout, SHORT_RETRY)
    )
    name = step_name(getattr(activity, "__name__", summary))
    try:
        return await workflow.execute_local_activity_method(
            activity, arg, start_to_close_timeout=timeout, schedule_to_close_timeout=budget,
            retry_policy=retry, summary=summary,
        )
    # The SDK (temporalio 1.35) wraps a local activity's timeout (and its cancel) in
    # ActivityError, but raises its own error as it is: a timeout ends here as the typed
    # error callers match on; a cancel goes on as it is, so the run ends cancelled.
    except ActivityError as err:
        typed = typed_step_failure(err)
        if typed is None:
            raise
        raise typed from err
    except ApplicationError as err:
        if err.non_retryable or err.type in NON_RETRYABLE:
            raise
        raise step_timed_out(name, "retries (its retry budget is spent)", err) from err


def typed_failure(err: BaseException) -> BaseException:
    """Callers match on the typed error (README), not on which activity raised it; a step
    that ran out of time or retries is StepTimedOut (workflows/step_failures.py)."""
    if isinstance(err, ActivityError):
        return typed_step_failure(err) or err
    return err


async def run_to_typed_end(work: Awaitable[T], on_end: Callable[[BaseException], None]) -> T:
    """A workflow's body, run so that an activity's failure ends it as its typed error,
    `on_end` learns why it ended (a waiting Update answers with that), and every Update
    handler has finished before the run closes (Temporal's message-passing samples)."""
    try:
        result = await work
    except BaseException as err:
        typed = typed_failure(err)
        on_end(typed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        if typed is err:
            raise
        raise typed from err
    await workflow.wait_condition(workflow.all_handlers_finished)
    return result


async def load_context(job_id, clip_index: int, *, summary: str) -> ClipContext:
    """The clip's prompt, seed, slot and references, from the job's stages in Postgres."""
    return await local_step(
        JobStoreActivities.load_clip_context,
        ClipRef(job_id=job_id, clip_index=clip_index),
        summary=summary,
        timeout=DATABASE_STEP,
    )


async def spend_terms(job_id, account_id: str | None, *, summary: str) -> SpendTerms:
    """The worker's sound setting and what is left of each budget (patch spend-in-plan)."""
    return await local_step(
        SpendActivities.spend_terms,
        SpendQuery(job_id=job_id, account_id=account_id),
        summary=summary,
        timeout=DATABASE_STEP,
    )


async def load_neighbour_frames(request: NeighbourFramesRequest, *, summary: str
                                ) -> NeighbourFrames:
    """The neighbouring clips' frames a continuity plan may join, from their current
    versions (extracted and stored by the activity; only references come back)."""
    return await local_step(
        FrameActivities.load_neighbour_frames, request, summary=summary, timeout=STORE_ATTEMPT
    )


async def ask_planner(request: PromptRequest, *, summary: str) -> PromptSuggestion:
    """The planner's rewrite (GPT-4o, or the offline planner without a key)."""
    return await local_step(
        PromptActivities.suggest_prompt, request, summary=summary, timeout=PLANNER_STEP
    )


async def configured_backend() -> str:
    """The video backend of the worker running this workflow, asked once (a local
    activity, so a replay agrees with what the run was recorded with)."""
    return await workflow.execute_local_activity_method(
        VideoActivities.configured_backend,
        start_to_close_timeout=BACKEND_LOOKUP,
        retry_policy=SHORT_RETRY,
        summary="which video backend",
    )


async def wait_for_video(
    submission: Submission,
    *,
    poll_seconds: float,
    budget: timedelta,
    queue: str | None,
    summary: str,
    store: StoreTarget | None = None,
) -> GenerationStatus:
    """Until Veo finishes (succeeded, filtered or failed) or `budget` runs out. With
    `store`, the check that finds the video done stores it too (its attempt may stream
    and cut a video: the store's attempt timeout; heartbeats catch a stuck one)."""
    return await workflow.execute_activity_method(
        VideoActivities.wait_for_generation,
        WaitRequest(operation_name=submission.operation_name, backend=submission.backend,
                    store=store),
        start_to_close_timeout=STATUS_CHECK if store is None else STORE_ATTEMPT,
        heartbeat_timeout=HEARTBEAT,
        schedule_to_close_timeout=budget,
        retry_policy=poll_retry(timedelta(seconds=poll_seconds)),
        summary=summary,
        task_queue=queue,
    )


async def store_video(
    submission: Submission,
    status: GenerationStatus,
    *,
    job_id,
    clip_index: int,
    regeneration_id: str,
    delivered_seconds: float | None,
    queue: str | None,
    summary: str,
    keep: str = "start",
) -> StoredVideo:
    """Fetch the finished video and keep it under the regeneration's key, cut to
    `delivered_seconds`. On the backend's queue when `queue` is given (only a worker that
    can fetch it stores it); histories from before backend queues store locally."""
    request = StoreVideoRequest(
        operation_name=submission.operation_name,
        backend=submission.backend,
        job_id=job_id,
        clip_index=clip_index,
        regeneration_id=regeneration_id,
        video_gcs_uri=status.video_gcs_uri,
        delivered_seconds=delivered_seconds,
        keep=keep,
    )
    if queue is not None:
        return await workflow.execute_activity_method(
            VideoActivities.store_generated_video,
            request,
            **{**STORE_STEP_OPTIONS, "summary": summary},
            task_queue=queue,
        )
    return await local_step(
        VideoActivities.store_generated_video, request, summary=summary, timeout=STORE_ATTEMPT
    )


async def persist_version(request: PersistRequest, *, summary: str) -> PersistResult:
    """Save the new version (idempotent under the regeneration id)."""
    return await local_step(
        JobStoreActivities.persist_clip_version, request, summary=summary, timeout=DATABASE_STEP
    )


def own_search_attributes(job_id, clip_index: int) -> None:
    """Upsert JobId/ClipIndex unless the starter already set them (retake.client does):
    whoever started the run, it is found by job."""
    current = workflow.info().typed_search_attributes
    wanted = conventions.search_attributes_for(job_id, clip_index)
    updates = [p.key.value_set(p.value) for p in wanted if current.get(p.key) != p.value]
    if updates:
        workflow.upsert_search_attributes(updates)
