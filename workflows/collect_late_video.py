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
regeneration's own (workflows/steps.py), and so is what it saves (workflows/submitted.py).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import workflows.conventions as conventions
    import workflows.patches as patches
    import workflows.steps as steps
    from activities.video.video_activities import VideoActivities
    from workflows.models import LateCollectionResult
    from workflows.step_models import GenerationState, LateCollectionRequest
    from workflows.step_options import (
        DATABASE_STEP,
        FIND_SUBMISSION,
        HEARTBEAT,
        LATE_WAIT_BUDGET,
        SHORT_RETRY,
        STEP_BUDGET,
    )
    from workflows.submitted import version_to_save
    from workflows.trust import collector_problems
    from workflows.validation import refuse_internal


@workflow.defn(name=conventions.LATE_COLLECTOR_WORKFLOW_TYPE)
class CollectLateVideoWorkflow:
    @workflow.run
    async def run(self, req: LateCollectionRequest) -> LateCollectionResult:
        patches.decide_first(patches.LATE_COLLECTOR)  # why: workflows/patches.py
        result = LateCollectionResult(
            job_id=req.job_id, clip_index=req.clip_index, outcome="nothing_paid"
        )
        # Only the clip's regeneration starts a collector, and what was paid is read from
        # the ledger, never taken from the input: any client can send any input.
        trusted = patches.applies(patches.INTERNAL_INPUTS)
        if trusted:
            parent = workflow.info().parent
            found = collector_problems(req, parent and parent.workflow_id)
            refuse_internal("; ".join(found) if found else None)
        given = None if trusted else req.submission
        submission = given or await workflow.execute_activity_method(
            VideoActivities.find_submission,
            req.submission_id,
            start_to_close_timeout=FIND_SUBMISSION,
            heartbeat_timeout=HEARTBEAT,
            schedule_to_close_timeout=STEP_BUDGET,
            retry_policy=SHORT_RETRY,
            summary="what was paid",
        )
        if submission is None:
            return result
        result.operation_name = submission.operation_name
        # Wait and store run where that backend's workers are, as in the regeneration: a
        # worker without Veo credentials never takes them. Collectors started before
        # patches.COLLECTOR_BACKEND_QUEUES replay with both on the main queue, store local.
        routed = patches.applies(patches.COLLECTOR_BACKEND_QUEUES)
        queue = (
            conventions.backend_queue(workflow.info().task_queue, submission.backend)
            if routed
            else None
        )
        status = await steps.wait_for_video(
            submission,
            poll_seconds=req.poll_interval_seconds,
            budget=LATE_WAIT_BUDGET,
            queue=queue,
            summary="wait for Veo (late)",
        )
        if status.state != GenerationState.SUCCEEDED:  # the ledger has the outcome already
            result.outcome = "filtered" if status.state == GenerationState.FILTERED else "failed"
            return result
        sent = submission.request  # None only for operations accepted before the echo
        stored = await steps.store_video(
            submission,
            status,
            job_id=req.job_id,
            clip_index=req.clip_index,
            regeneration_id=req.regeneration_id,
            delivered_seconds=sent.delivered_seconds if sent else None,
            queue=queue,
            summary="store video (late)",
        )
        persisted = await steps.persist_version(
            version_to_save(
                job_id=req.job_id,
                clip_index=req.clip_index,
                regeneration_id=req.regeneration_id,
                user_instruction=req.user_instruction,
                stored=stored,
                sent=sent,
                plan=req.plan,
                make_current=False,
            ),
            summary="persist version (late)",
        )
        result.version, result.video_url = persisted.version_number, stored.url
        if not persisted.created:  # the regeneration saved it itself before it ended
            result.outcome = "already_saved"
            return result
        result.outcome = "collected_late"
        await steps.local_step(
            VideoActivities.record_late_collection,
            result,
            summary="ledger: collected late",
            timeout=DATABASE_STEP,
        )
        return result
