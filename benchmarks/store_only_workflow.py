"""The store step alone, scheduled exactly as RegenerateClipWorkflow schedules it.

Its own module so the workflow sandbox re-imports little; bench_store.py runs it.
"""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.video.video_activities import VideoActivities
    from workflows.step_models import StoredVideo, StoreVideoRequest
    from workflows.step_options import STORE_STEP_OPTIONS


@workflow.defn
class StoreOnlyWorkflow:
    @workflow.run
    async def run(self, request: StoreVideoRequest) -> StoredVideo:
        return await workflow.execute_activity_method(
            VideoActivities.store_generated_video, request, **STORE_STEP_OPTIONS
        )
