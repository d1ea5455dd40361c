"""RegenerateClipWorkflow (workflows/regenerate_clip.py) itself on the dev server, its
steps served by this file under the real activity names (no Postgres, OpenAI or Veo;
the end-to-end files run them for real), each recording what it was asked: what the
run asks of each step, what its result and progress say, how a deadline ends it and
which collector it starts, and a batch's plan re-checked. About 2 s for the file."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from tests.support.resets import reset_to_first_workflow_task
from workflows import conventions, error_types
from workflows.collect_late_video import CollectLateVideoWorkflow
from workflows.models import (
    LateCollectionResult,
    PlanProposal,
    RegenerateClipInput,
    RegenerateClipResult,
)
from workflows.regenerate_clip import RegenerateClipWorkflow
from workflows.spend_models import SpendQuery, SpendTerms
from workflows.step_models import (
    ClipContext,
    ClipRef,
    GenerationRequest,
    GenerationState,
    GenerationStatus,
    LateCollectionRequest,
    PersistRequest,
    PersistResult,
    StoredVideo,
    StoreVideoRequest,
    Submission,
    WaitRequest,
)

ASKED: dict[str, list] = {}  # job id -> (step, request), in order
PENDING: dict[str, int] = {}  # job id -> checks still answered "pending" (past any deadline)
WAIT_FAILS: dict[str, str] = {}  # job id -> the error type its check fails with
LATE: dict[str, GenerationState | bool] = {}  # job id -> the collector's check, or persisted
SUBMITTED: dict[str, Submission] = {}  # ledger key -> what the submission returned
SLOW_BACKEND: set[str] = set()  # job ids whose worker takes 1.2 s to name its backend
HELD_LATE: set[str] = set()  # job ids whose collector's check waits until taken out
HELD_WAIT: set[str] = set()  # job ids whose regeneration's check waits until taken out


def asked(job, step: str) -> list:
    return [r for s, r in ASKED.get(str(job), []) if s == step]


def note(job, step: str, req) -> None:
    ASKED.setdefault(str(job), []).append((step, req))


@activity.defn(name="load_clip_context")
async def load_clip_context(ref: ClipRef) -> ClipContext:
    note(ref.job_id, "load", ref)
    return ClipContext(job_id=ref.job_id, clip_index=ref.clip_index,
                       prompt="A city street at sunset, wide shot", original_seed=42,
                       target_duration=4.0, scene_reference_urls=["refs/scene.png"])


@activity.defn(name="spend_terms")
async def spend_terms(query: SpendQuery) -> SpendTerms:
    note(query.job_id, "spend", query)
    return SpendTerms()


@activity.defn(name="configured_backend")
async def configured_backend() -> str:
    if any(job in activity.info().workflow_id for job in SLOW_BACKEND):
        await asyncio.sleep(1.2)
    return "preview"


@activity.defn(name="submit_generation")
async def submit_generation(req: GenerationRequest) -> Submission:
    note(req.job_id, "submit", req)
    SUBMITTED[req.regeneration_id] = Submission(
        operation_name=f"operations/{req.regeneration_id}", backend="preview",
        request=req.as_submitted(req.reference_image_urls), possible_duplicate_charges=1)
    return SUBMITTED[req.regeneration_id]


@activity.defn(name="find_submission")
async def find_submission(submission_id: str) -> Submission | None:
    return SUBMITTED.get(submission_id)


@activity.defn(name="record_late_collection")
async def record_late_collection(collected: LateCollectionResult) -> None:
    note(collected.job_id, "recorded", collected)


@activity.defn(name="wait_for_generation")
async def wait_for_generation(req: WaitRequest) -> GenerationStatus:
    if req.store is None:  # the collector's check: it stores on its own
        job = req.operation_name.split("regenerate-")[1][:36]
        note(job, "late wait", req)
        while job in HELD_LATE:
            await asyncio.sleep(0.05)
        late = LATE.get(job)
        return GenerationStatus(operation_name=req.operation_name, state=late if isinstance(
            late, GenerationState) else GenerationState.SUCCEEDED)
    job = req.store.job_id
    while str(job) in HELD_WAIT:
        await asyncio.sleep(0.05)
    if str(job) in WAIT_FAILS:
        raise ApplicationError("the check failed", type=WAIT_FAILS[str(job)], non_retryable=True)
    if PENDING.get(str(job), 0) > 0:
        PENDING[str(job)] -= 1
        raise ApplicationError("still generating", type=error_types.GENERATION_PENDING,
                               non_retryable=True)
    note(job, "wait", req)
    stored = StoredVideo(url=f"file:///videos/{req.store.regeneration_id}.mp4", backend="preview",
                         trimmed_to_seconds=req.store.delivered_seconds)
    return GenerationStatus(operation_name=req.operation_name, state=GenerationState.SUCCEEDED,
                            polls=3, stored=stored)


@activity.defn(name="store_generated_video")
async def store_generated_video(req: StoreVideoRequest) -> StoredVideo:
    note(req.job_id, "store", req)
    return StoredVideo(url="file:///videos/stored.mp4", backend="preview")


@activity.defn(name="persist_clip_version")
async def persist_clip_version(req: PersistRequest) -> PersistResult:
    note(req.job_id, "persist", req)
    return PersistResult(version_number=7, created=LATE.get(str(req.job_id)) is not True)


class Child(BaseModel):
    request: RegenerateClipInput


@workflow.defn(name="BatchLikeParent", sandboxed=False)
class BatchLikeParent:
    """Starts the regeneration as a batch does (approved_plan), on the batch's own id."""

    @workflow.run
    async def run(self, child: Child) -> RegenerateClipResult:
        return await workflow.execute_child_workflow(
            RegenerateClipWorkflow.run, child.request,
            id=conventions.workflow_id_for(child.request.job_id, child.request.clip_index))


@pytest_asyncio.fixture(scope="module")
async def regenerate(temporal_client: Client):
    queue = f"regenerate-direct-{uuid.uuid4().hex[:8]}"
    main = Worker(temporal_client, task_queue=queue,
                  workflows=[RegenerateClipWorkflow, BatchLikeParent, CollectLateVideoWorkflow],
                  activities=[load_clip_context, spend_terms, configured_backend,
                              persist_clip_version, find_submission, record_late_collection],
                  workflow_runner=UnsandboxedWorkflowRunner())
    preview = Worker(temporal_client, task_queue=conventions.backend_queue(queue, "preview"),
                     activities=[submit_generation, wait_for_generation, store_generated_video])
    async with main, preview:

        async def start(inp: RegenerateClipInput):
            return await temporal_client.start_workflow(
                RegenerateClipWorkflow.run, inp,
                id=conventions.workflow_id_for(inp.job_id, inp.clip_index), task_queue=queue,
                execution_timeout=timedelta(seconds=30))

        async def as_batch_child(inp: RegenerateClipInput):
            return await temporal_client.execute_workflow(
                BatchLikeParent.run, Child(request=inp),
                id=conventions.batch_workflow_id(inp.job_id), task_queue=queue,
                execution_timeout=timedelta(seconds=30))

        start.as_batch_child = as_batch_child
        start.queue = queue
        yield start


def request(**options) -> RegenerateClipInput:
    return RegenerateClipInput(job_id=uuid.uuid4(), clip_index=3,
                               instruction="make it nighttime", options=options)


def scheduled_wait(history, summary: str = "wait for Veo, then store"):
    [wait] = [e for e in history.events
              if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
              and e.activity_task_scheduled_event_attributes.activity_type.name
              == "wait_for_generation"]
    assert wait.user_metadata.summary.data == f'"{summary}"'.encode()  # what the Web UI shows
    return wait.activity_task_scheduled_event_attributes


async def test_a_regeneration_asks_each_step_once_and_reports_what_it_did(regenerate):
    inp = request(poll_interval_seconds=0.5, deadline_seconds=30,
                  notify_url="https://example.test/hook")
    inp = inp.model_copy(update={"request_id": "chat-42"})
    handle = await regenerate(inp)
    result = await handle.result()
    assert result.status == "completed" and result.version == 7
    assert result.video_url.startswith(f"file:///videos/{handle.id}/") and result.video_backend == "preview"
    assert result.polls == 3 and result.possible_duplicate_charges == 1
    assert result.filtered_retries == 0 and result.transient_resubmissions == 0
    [submitted] = asked(inp.job_id, "submit")
    regeneration_id = f"{handle.id}/request-chat-42"  # a reset keeps it
    assert submitted.regeneration_id == f"{regeneration_id}/0"
    [waited] = asked(inp.job_id, "wait")
    assert waited.store.regeneration_id == regeneration_id and waited.store.keep == "start"
    assert waited.store.delivered_seconds == 4.0  # generated at 8 s (a reference), cut to 4
    assert asked(inp.job_id, "store") == []  # the final check stored it
    [persisted] = asked(inp.job_id, "persist")
    assert persisted.regeneration_id == regeneration_id and persisted.make_current
    progress = await handle.query(RegenerateClipWorkflow.progress)
    assert progress.stage == "completed" and progress.polls == 3
    assert progress.detail == "version 7 of clip 3 is current"
    wait = scheduled_wait(await handle.fetch_history())  # what is left of the deadline
    assert timedelta(seconds=29) < wait.schedule_to_close_timeout.ToTimedelta() <= timedelta(
        seconds=30)
    assert wait.task_queue.name.endswith("-preview")
    pushes = [e.start_child_workflow_execution_initiated_event_attributes.workflow_id
              for e in (await handle.fetch_history()).events if e.event_type
              == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED]
    assert pushes == [conventions.notify_workflow_id(f"{handle.id}:{handle.result_run_id}:completed")]


async def test_a_wait_that_starts_past_the_deadline_still_gets_one_second(regenerate):
    inp = request(deadline_seconds=1.0)
    SLOW_BACKEND.add(str(inp.job_id))
    handle = await regenerate(inp)
    assert (await handle.result()).status == "completed"
    wait = scheduled_wait(await handle.fetch_history())
    assert wait.schedule_to_close_timeout.ToTimedelta() == timedelta(seconds=1)


async def test_a_dry_run_reports_a_plan_and_nothing_done(regenerate):
    inp = request(dry_run=True, notify_url="https://example.test/hook")
    handle = await regenerate(inp)
    result = await handle.result()
    assert result.status == "planned" and result.version is None and result.video_url is None
    assert (result.polls, result.filtered_retries, result.transient_resubmissions,
            result.possible_duplicate_charges) == (0, 0, 0, 0)
    assert asked(inp.job_id, "submit") == [] and asked(inp.job_id, "persist") == []
    assert not any(e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
                   for e in (await handle.fetch_history()).events)  # nothing completed


async def test_a_run_started_without_confirm_first_can_still_be_asked_for_its_plan(
    regenerate, temporal_client
):
    inp = request(notify_url="https://example.test/hook")  # not confirm-first until proposed
    start = WithStartWorkflowOperation(
        conventions.WORKFLOW_TYPE, inp, id=conventions.workflow_id_for(inp.job_id, 3),
        task_queue=regenerate.queue, execution_timeout=timedelta(seconds=30),
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL)
    proposal = await temporal_client.execute_update_with_start_workflow(
        conventions.PROPOSE_UPDATE, start_workflow_operation=start, result_type=PlanProposal)
    assert proposal.revision == 1
    left = proposal.expires_at - datetime.now(UTC)  # the whole 900 s to decide
    assert timedelta(seconds=890) < left <= timedelta(seconds=900)
    handle = await start.workflow_handle()
    revised = await handle.execute_update(conventions.REVISE_UPDATE,
                                          {"instruction": "make it daytime"},
                                          result_type=PlanProposal)
    assert revised.revision == 2 and revised.plan.prompt != proposal.plan.prompt
    await handle.execute_update(conventions.CANCEL_UPDATE)
    result = await handle.result()  # by type name: plain JSON
    assert result["status"] == "cancelled" and result["prompt"] == revised.plan.prompt
    assert not any(e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
                   for e in (await handle.fetch_history()).events)  # a cancel pushes nothing
    assert asked(inp.job_id, "submit") == []


@pytest.mark.parametrize("late, outcome", [
    (GenerationState.SUCCEEDED, "collected_late"),
    (True, "already_saved"),  # the regeneration had persisted it under the same key
    (GenerationState.FILTERED, "filtered"),
    (GenerationState.FAILED, "failed"),
])
async def test_a_deadline_passed_while_veo_works_starts_the_collector_and_says_where(
    regenerate, temporal_client, late, outcome
):
    inp = request(deadline_seconds=30)
    PENDING[str(inp.job_id)] = 1
    LATE[str(inp.job_id)] = late
    handle = await regenerate(inp)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert cause.type == error_types.GENERATION_TIMED_OUT
    collector = conventions.late_collection_id(handle.result_run_id, "0")
    assert cause.details[0] == {"late_collection_workflow_id": collector}
    history = await handle.fetch_history()
    started = [e.start_child_workflow_execution_initiated_event_attributes for e in history.events
               if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED]
    assert [s.workflow_id for s in started] == [collector]
    assert started[0].workflow_type.name == conventions.LATE_COLLECTOR_WORKFLOW_TYPE
    progress = await handle.query(RegenerateClipWorkflow.progress)
    assert progress.late_collection_workflow_id == collector
    collected = await temporal_client.get_workflow_handle(
        collector, result_type=LateCollectionResult).result()
    regeneration_id = f"{handle.id}/{handle.result_run_id}"
    assert collected.outcome == outcome
    assert collected.operation_name == f"operations/{regeneration_id}/0"
    [checked] = asked(inp.job_id, "late wait")
    assert checked.operation_name == collected.operation_name and checked.backend == "preview"
    saved = asked(inp.job_id, "persist")
    if outcome in ("filtered", "failed"):
        assert saved == [] and asked(inp.job_id, "store") == [] and collected.version is None
        return
    [stored] = asked(inp.job_id, "store")  # on the backend's queue, cut as planned
    assert stored.regeneration_id == regeneration_id and stored.delivered_seconds == 4.0
    [persisted] = saved
    assert persisted.regeneration_id == regeneration_id and not persisted.make_current
    assert persisted.user_instruction == "make it nighttime"
    assert (collected.version, collected.video_url) == (7, "file:///videos/stored.mp4")
    recorded = asked(inp.job_id, "recorded")
    assert recorded == ([collected] if outcome == "collected_late" else [])


async def test_a_reset_run_that_reaches_the_deadline_again_finds_the_collector_running(
    regenerate, temporal_client
):
    """An operator resets a regeneration whose deadline passed while its collector still
    checks Veo: the new run reaches the same collector id (from the first run's id, which
    a reset keeps), the server refuses a second start, and the run ends the same way,
    naming the collector that is already running."""
    inp = request(deadline_seconds=30)
    job = str(inp.job_id)
    PENDING[job] = 1
    HELD_LATE.add(job)
    try:
        handle = await regenerate(inp)
        with pytest.raises(WorkflowFailureError) as first:
            await handle.result()
        collector = first.value.cause.details[0]["late_collection_workflow_id"]
        PENDING[job] = 1  # the reset run's check finds Veo still working too
        again = await reset_to_first_workflow_task(temporal_client, handle)
        with pytest.raises(WorkflowFailureError) as second:
            await asyncio.wait_for(again.result(), timeout=20)
    finally:
        HELD_LATE.discard(job)
    assert second.value.cause.type == error_types.GENERATION_TIMED_OUT
    assert second.value.cause.details[0] == {"late_collection_workflow_id": collector}
    history = await again.fetch_history()
    starts = [e for e in history.events
              if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED]
    assert len(starts) == 1  # the second start, refused: the collector was running
    progress = await again.query(RegenerateClipWorkflow.progress)
    assert progress.late_collection_workflow_id == collector
    late = await temporal_client.get_workflow_handle(
        collector, result_type=LateCollectionResult).result()
    assert late.outcome == "collected_late" and len(asked(inp.job_id, "late wait")) == 1


async def test_a_batch_plan_that_fails_its_recheck_is_refused_before_anything_is_paid(
    regenerate
):
    inp = request()
    plan = {"prompt": "p", "temperature": 0.5, "reasoning": "r", "seed": 1, "seed_reused": False,
            "planner": "template", "cost_estimate_usd": Decimal("3.20"), "duration_seconds": 8,
            "reference_image_urls": ["refs/not-this-jobs.png"]}
    inp = inp.model_copy(update={"approved_plan": plan})
    with pytest.raises(WorkflowFailureError) as failure:
        await regenerate.as_batch_child(inp)
    cause = failure.value.cause.cause
    assert cause.type == error_types.INVALID_INPUT
    assert "approved_plan: " in cause.message
    assert asked(inp.job_id, "submit") == []


async def test_a_collector_started_by_anyone_else_is_refused_and_asks_nothing(
    regenerate, temporal_client
):
    job = uuid.uuid4()
    clip_id = conventions.workflow_id_for(job, 3)
    hostile = LateCollectionRequest(job_id=job, clip_index=3, submission_id=f"{clip_id}/x/0",
                                    regeneration_id=f"{clip_id}/x", user_instruction="mine now")
    with pytest.raises(WorkflowFailureError) as failure:
        await temporal_client.execute_workflow(
            CollectLateVideoWorkflow.run, hostile, id=f"collect-late-evil-{job}",
            task_queue=regenerate.queue, execution_timeout=timedelta(seconds=30))
    cause = failure.value.cause
    assert cause.type == error_types.INVALID_INPUT
    assert "CollectLateVideoWorkflow is internal" in cause.message
    assert ASKED.get(str(job)) is None



@pytest.mark.parametrize("fault", [error_types.DATABASE_UNAVAILABLE,  # sorts before
                                   error_types.PROVIDER_UNAVAILABLE])  # and after Pending
async def test_a_check_that_fails_otherwise_ends_the_run_with_its_own_error(regenerate, fault):
    inp = request()
    WAIT_FAILS[str(inp.job_id)] = fault
    handle = await regenerate(inp)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert failure.value.cause.type == fault  # not a deadline
    progress = await handle.query(RegenerateClipWorkflow.progress)
    assert progress.late_collection_workflow_id is None


def pushed(history) -> list[str]:
    """The ids of the pushes a run started (NotifyWorkflow children), in order."""
    return [e.start_child_workflow_execution_initiated_event_attributes.workflow_id
            for e in history.events if e.event_type
            == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED]


async def test_a_run_that_fails_pushes_failed_with_its_error(regenerate):
    inp = request(notify_url="https://example.test/hook")
    WAIT_FAILS[str(inp.job_id)] = error_types.PROVIDER_UNAVAILABLE
    handle = await regenerate(inp)
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert pushed(await handle.fetch_history()) == [
        conventions.notify_workflow_id(f"{handle.id}:{handle.result_run_id}:failed")]


async def test_a_run_past_planning_without_confirm_first_refuses_propose(regenerate):
    """Past planning, a run started without confirm_first is being paid for: `propose`
    is refused by its validator (nothing enters the history), and the run goes on."""
    inp = request()
    HELD_WAIT.add(str(inp.job_id))
    try:
        handle = await regenerate(inp)

        async def waiting() -> bool:
            return (await handle.query(RegenerateClipWorkflow.progress)).stage == "waiting"

        for _ in range(200):
            if await waiting():
                break
            await asyncio.sleep(0.05)
        assert await waiting()  # its check held: past planning, paid for
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await asyncio.wait_for(handle.execute_update(  # accepted, it would wait for ever
                conventions.PROPOSE_UPDATE, result_type=PlanProposal), timeout=10)
        assert refused.value.cause.type == error_types.UPDATE_NOT_ALLOWED
        assert "started without options.confirm_first" in refused.value.cause.message
    finally:
        HELD_WAIT.discard(str(inp.job_id))
    assert (await handle.result()).status == "completed"
    assert len(asked(inp.job_id, "submit")) == 1
