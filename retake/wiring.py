"""Builds the worker: activity classes that own their clients, and the workflow.

worker.py, `starter.py demo` and the tests all build workers here, so what runs in
production is what the tests run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from activities.config import Settings
from activities.job_store.job_clips import JobClipsActivities
from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.version_activities import ClipVersionActivities
from activities.planner.prompt_activities import PromptActivities
from activities.video.video_activities import VideoActivities
from retake.worker_version import deployment_config
from workflows.clip_versions import ListClipVersionsWorkflow, RevertClipWorkflow
from workflows.collect_late_video import CollectLateVideoWorkflow
from workflows.regenerate_clip import RegenerateClipWorkflow
from workflows.regenerate_clips import RegenerateClipsWorkflow

# Every workflow a Retake worker runs (the replay tests replay them all).
WORKFLOWS = [
    RegenerateClipWorkflow,
    RegenerateClipsWorkflow,
    ListClipVersionsWorkflow,
    RevertClipWorkflow,
    CollectLateVideoWorkflow,
]


@dataclass
class RetakeActivities:
    """The activity groups one worker serves."""

    job_store: JobStoreActivities
    prompt: PromptActivities
    video: VideoActivities
    versions: ClipVersionActivities
    job_clips: JobClipsActivities

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool) -> RetakeActivities:
        return cls(
            job_store=JobStoreActivities(pool),
            prompt=PromptActivities.from_settings(settings),
            video=VideoActivities.from_settings(settings, pool),
            versions=ClipVersionActivities(pool),
            job_clips=JobClipsActivities(pool),
        )

    def all(self) -> Sequence[Callable]:
        return [
            self.job_store.load_clip_context,
            self.job_store.persist_clip_version,
            self.prompt.suggest_prompt,
            self.video.submit_generation,
            self.video.wait_for_generation,
            self.video.store_generated_video,
            self.versions.list_clip_versions,
            self.versions.revert_clip_version,
            self.job_clips.list_clip_indexes,
            self.video.find_submission,
            self.video.record_late_collection,
        ]


def build_worker(
    client: Client,
    settings: Settings,
    activities: RetakeActivities,
    *,
    task_queue: str | None = None,
    **overrides,
) -> Worker:
    """A worker for Retake's workflows; concurrency limits and the deployment version
    (None: unversioned) come from settings."""
    options = dict(
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=activities.all(),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
    )
    versioning = deployment_config(settings)
    if versioning is not None:
        options["deployment_config"] = versioning
    options.update(overrides)
    return Worker(client, **options)


def describe_backends(settings: Settings) -> str:
    """One line for logs and output: which real or offline parts this worker uses."""
    planner = f"GPT ({settings.openai_model})" if settings.uses_llm else "offline planner (no OpenAI key)"
    video = "Veo on Vertex AI" if settings.uses_veo else "preview video backend (preview, not Veo)"
    return f"planner: {planner}; video: {video}"
