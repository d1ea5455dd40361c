"""Builds the worker: activity classes that own their clients, and the workflow.

worker.py, `starter.py demo` and the tests all build workers here, so what runs in
production is what the tests run.

One process polls several task queues (issue 12, workflows/conventions.py): the main
queue (the workflow and its local steps), its backend's queue (status checks and
storing; preview submissions too) and, for Veo, the Veo submit queue, whose rate limit
the Temporal server enforces for the whole fleet (RETAKE_VEO_REQUESTS_PER_MINUTE).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.busy_clips import open_workflows
from activities.config import Settings
from activities.job_store.job_clips import JobClipsActivities
from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.version_activities import ClipVersionActivities
from activities.notify.send import NotifyActivities
from activities.planner.prompt_activities import PromptActivities
from activities.video.frame_activities import FrameActivities
from activities.video.reference_policy import ReferencePolicy
from activities.video.spend_activities import SpendActivities
from activities.video.video_activities import VideoActivities
from retake.replay_alarm import RunDirectoryInterceptor
from retake.worker_version import deployment_config
from workflows.clip_versions import ListClipVersionsWorkflow, RevertClipWorkflow
from workflows.collect_late_video import CollectLateVideoWorkflow
from workflows.conventions import backend_queue, veo_submit_queue
from workflows.notify import NotifyWorkflow
from workflows.regenerate_clip import RegenerateClipWorkflow
from workflows.regenerate_clips import RegenerateClipsWorkflow

# Every workflow a Retake worker runs (the replay tests replay them all).
WORKFLOWS = [
    RegenerateClipWorkflow,
    RegenerateClipsWorkflow,
    ListClipVersionsWorkflow,
    RevertClipWorkflow,
    CollectLateVideoWorkflow,
    NotifyWorkflow,
]

log = logging.getLogger(__name__)


@dataclass
class RetakeActivities:
    """The activity groups one worker serves."""

    job_store: JobStoreActivities
    prompt: PromptActivities
    video: VideoActivities
    versions: ClipVersionActivities
    job_clips: JobClipsActivities
    frames: FrameActivities
    notify: NotifyActivities
    spend: SpendActivities

    @classmethod
    def from_settings(cls, settings: Settings, pool: asyncpg.Pool) -> RetakeActivities:
        references = ReferencePolicy.from_settings(settings)
        for warning in references.start_warnings():
            log.warning(warning)
        return cls(
            job_store=JobStoreActivities(pool, references),
            prompt=PromptActivities.from_settings(settings),
            video=VideoActivities.from_settings(settings, pool),
            versions=ClipVersionActivities(pool),
            job_clips=JobClipsActivities(pool),
            frames=FrameActivities(pool, settings.videos_dir,
                                   public_base_url=settings.video_public_base_url,
                                   policy=references),
            notify=NotifyActivities.from_settings(settings),
            spend=SpendActivities.from_settings(settings, pool),
        )

    def all(self) -> Sequence[Callable]:
        return [
            self.job_store.load_clip_context,
            self.job_store.persist_clip_version,
            self.prompt.suggest_prompt,
            self.video.configured_backend,
            # Still served on the main queue for workflows recorded before backend queues.
            self.video.submit_generation,
            self.video.wait_for_generation,
            self.video.store_generated_video,
            self.versions.list_clip_versions,
            self.versions.revert_clip_version,
            self.job_clips.list_clip_indexes,
            open_workflows,
            self.video.find_submission,
            self.video.record_late_collection,
            self.frames.load_neighbour_frames,
            self.notify.send_notification,
            self.spend.spend_terms,
        ]


# The sandbox re-imports a workflow's own module for every run it keeps in its cache: each
# cached RegenerateClipWorkflow run held its own copy of the module's code (~100 KiB per
# run; about 100 MB with 1,000 in flight, benchmarks/bench_scale.py). Our workflow modules
# keep no state at module level (constants only), so by default they are passed through
# like the rest of the package (~13 KiB per run; files changed on disk no longer reach
# running workers either). The sandbox then no longer refuses nondeterministic calls made
# in these modules, so every test worker runs the strict default sandbox instead
# (RETAKE_WORKFLOW_SANDBOX=strict, tests/support), as does the replay test.
WORKFLOW_RUNNERS = {
    "passthrough": SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")),
    "strict": SandboxedWorkflowRunner(),
}


# Measured with benchmarks/bench_quota.py (300 at once, 120/min quota, docs/benchmarks.md):
# with the queue dispatched at exactly 120/min, 5 submissions got 429 (consistent with the
# server's limiter letting a backlog's first tasks through at once, about one per queue
# partition); at 114/min, none. So the Veo submit queue is dispatched at the quota less
# this allowance (at least half the quota).
SUBMIT_BURST_ALLOWANCE = 5


def veo_submit_rate_per_second(requests_per_minute: float) -> float:
    """max_task_queue_activities_per_second for the Veo submit queue, from the quota."""
    per_minute = max(requests_per_minute - SUBMIT_BURST_ALLOWANCE, requests_per_minute / 2)
    return per_minute / 60.0


class RetakeWorkers:
    """The workers of one process, started and stopped together (`async with`, `run`)."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers

    @property
    def task_queues(self) -> list[str]:
        return [w.task_queue for w in self.workers]

    async def __aenter__(self) -> RetakeWorkers:
        started: list[Worker] = []
        try:
            for worker in self.workers:
                await worker.__aenter__()
                started.append(worker)
        except BaseException:
            for worker in reversed(started):
                await worker.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc_info) -> None:
        await asyncio.gather(*(w.__aexit__(*exc_info) for w in self.workers))

    async def run(self) -> None:
        await asyncio.gather(*(w.run() for w in self.workers))


def build_worker(
    client: Client,
    settings: Settings,
    activities: RetakeActivities,
    *,
    task_queue: str | None = None,
    **overrides,
) -> RetakeWorkers:
    """The workers for Retake's workflows and activities; concurrency limits and the
    deployment version (None: unversioned) come from settings.

    `overrides` apply to the main queue's worker. The video queues' workers join the
    same deployment version, so a pinned run's video steps stay on its build.
    """
    queue = task_queue or settings.task_queue
    options = dict(
        task_queue=queue,
        workflows=WORKFLOWS,
        workflow_runner=WORKFLOW_RUNNERS[settings.workflow_sandbox],
        activities=activities.all(),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_local_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        interceptors=[RunDirectoryInterceptor()],  # names stuck runs (retake/replay_alarm.py)
    )
    versioning = deployment_config(settings)
    if versioning is not None:
        options["deployment_config"] = versioning
    options.update(overrides)
    workers = [Worker(client, **options)]
    same_version = {"deployment_config": versioning} if versioning is not None else {}
    video = activities.video
    backend = video.backend_name
    backend_work = [video.wait_for_generation, video.store_generated_video]
    if backend == "veo":
        workers.append(Worker(
            client,
            task_queue=veo_submit_queue(queue),
            activities=[video.submit_generation],
            max_concurrent_activities=settings.max_concurrent_activities,
            # Server-side: every worker polling this queue shares one budget.
            max_task_queue_activities_per_second=veo_submit_rate_per_second(
                settings.veo_requests_per_minute
            ),
            **same_version,
        ))
    else:
        backend_work.insert(0, video.submit_generation)
    workers.append(Worker(
        client,
        task_queue=backend_queue(queue, backend),
        activities=backend_work,
        max_concurrent_activities=settings.max_concurrent_activities,
        **same_version,
    ))
    return RetakeWorkers(workers)


def describe_backends(settings: Settings) -> str:
    """One line for logs and output: which real or offline parts this worker uses."""
    planner = f"GPT ({settings.openai_model})" if settings.uses_llm else "offline planner (no OpenAI key)"
    video = "Veo on Vertex AI" if settings.uses_veo else "preview video backend (preview, not Veo)"
    return f"planner: {planner}; video: {video}"
