"""CollectLateVideoWorkflow: a paid video outlives its regeneration; collect it and keep it.

RegenerateClipWorkflow starts it (abandon parent-close policy: it keeps running after
the regeneration closes) when its deadline passes while Veo still works, or when it is
cancelled after Veo may have accepted the job. It waits for the generation (hours, not
the caller's deadline), stores the video under the regeneration's key and saves it as
a version of the clip that is NOT current: the user asked for something else since,
or gave up waiting, so nothing they see changes; the video is not lost, and a later
regeneration asking for the same generation adopts it instead of paying again
(activities/video/submission_ledger.py). The ledger records the operation as
'collected_late', with the version and URL. Steps, timeouts and retry policies are the
regeneration's own (workflows/regenerate_clip.py).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import workflows.patches as patches
    from activities.job_store.job_store_activities import JobStoreActivities
    from activities.video.video_activities import VideoActivities
    from workflows.conventions import backend_queue
    from workflows.models import LateCollectionResult
    from workflows.regenerate_clip import (
        _HEARTBEAT,
        _NON_RETRYABLE,
        _SHORT_RETRY,
        _STEP_BUDGET,
        LATE_COLLECTOR,
        STORE_STEP_OPTIONS,
        _local_step,
    )
    from workflows.step_models import (
        GenerationState,
        LateCollectionRequest,
        PersistRequest,
        StoreVideoRequest,
        WaitRequest,
    )

LATE_WAIT_BUDGET = timedelta(hours=6)  # far beyond any Veo job: then the video is gone


@workflow.defn(name=LATE_COLLECTOR)
class CollectLateVideoWorkflow:
    @workflow.run
    async def run(self, req: LateCollectionRequest) -> LateCollectionResult:
        patches.decide_first(patches.LATE_COLLECTOR)  # why: workflows/patches.py
        result = LateCollectionResult(
            job_id=req.job_id, clip_index=req.clip_index, outcome="nothing_paid"
        )
        submission = req.submission or await workflow.execute_activity_method(
            VideoActivities.find_submission,
            req.submission_id,
            start_to_close_timeout=timedelta(minutes=3),
            heartbeat_timeout=_HEARTBEAT,
            schedule_to_close_timeout=_STEP_BUDGET,
            retry_policy=_SHORT_RETRY,
            summary="what was paid",
        )
        if submission is None:
            return result
        result.operation_name = submission.operation_name
        # Wait and store run where that backend's workers are (conventions.backend_queue), as
        # in the regeneration: a worker without Veo credentials never takes them. Patched:
        # collectors started before it replay with both on the main queue, store local.
        routed = patches.applies(patches.COLLECTOR_BACKEND_QUEUES)
        queue = backend_queue(workflow.info().task_queue, submission.backend) if routed else None
        poll = timedelta(seconds=req.poll_interval_seconds)
        status = await workflow.execute_activity_method(
            VideoActivities.wait_for_generation,
            WaitRequest(operation_name=submission.operation_name, backend=submission.backend),
            start_to_close_timeout=timedelta(seconds=60),
            heartbeat_timeout=_HEARTBEAT,
            schedule_to_close_timeout=LATE_WAIT_BUDGET,
            retry_policy=RetryPolicy(initial_interval=poll, backoff_coefficient=1.0,
                                     maximum_interval=poll,
                                     non_retryable_error_types=_NON_RETRYABLE),
            summary="wait for Veo (late)",
            task_queue=queue,
        )
        if status.state != GenerationState.SUCCEEDED:  # the ledger has the outcome already
            result.outcome = "filtered" if status.state == GenerationState.FILTERED else "failed"
            return result
        sent = submission.request  # None only for operations accepted before the echo
        store = StoreVideoRequest(
            operation_name=submission.operation_name,
            backend=submission.backend,
            job_id=req.job_id,
            clip_index=req.clip_index,
            regeneration_id=req.regeneration_id,
            video_gcs_uri=status.video_gcs_uri,
            delivered_seconds=sent.delivered_seconds if sent else None,
        )
        if routed:
            stored = await workflow.execute_activity_method(
                VideoActivities.store_generated_video,
                store,
                **{**STORE_STEP_OPTIONS, "summary": "store video (late)"},
                task_queue=queue,
            )
        else:
            stored = await _local_step(
                VideoActivities.store_generated_video,
                store,
                summary="store video (late)",
                timeout=timedelta(minutes=5),
            )
        persisted = await _local_step(
            JobStoreActivities.persist_clip_version,
            PersistRequest(
                job_id=req.job_id,
                clip_index=req.clip_index,
                regeneration_id=req.regeneration_id,
                video_url=stored.url,
                prompt=sent.prompt if sent else "",
                negative_prompt=sent.negative_prompt if sent else None,
                user_instruction=req.user_instruction,
                seed=sent.seed if sent else 0,
                temperature=sent.temperature if sent and sent.temperature is not None else 0.0,
                duration_seconds=stored.trimmed_to_seconds
                or (float(sent.duration_seconds) if sent else None),
                policy_version=sent.policy_version if sent else None,
                make_current=False,
            ),
            summary="persist version (late)",
            timeout=timedelta(seconds=30),
        )
        result.version, result.video_url = persisted.version_number, stored.url
        if not persisted.created:  # the regeneration saved it itself before it ended
            result.outcome = "already_saved"
            return result
        result.outcome = "collected_late"
        await _local_step(
            VideoActivities.record_late_collection,
            result,
            summary="ledger: collected late",
            timeout=timedelta(seconds=30),
        )
        return result
