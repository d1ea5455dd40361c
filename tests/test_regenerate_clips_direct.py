"""RegenerateClipsWorkflow (workflows/regenerate_clips.py) itself on the dev server, its
steps served by this file under the real activity names (no Postgres, OpenAI or Veo; the
end-to-end file tests/test_workflow_batch.py runs them for real), and its children by a
stand-in registered under the real child's workflow type, which records what it was
started with and finishes, fails or waits as a test tells it (one case runs the real
RegenerateClipWorkflow as the child). What a batch asks, which children it starts and
how, at most how many at once, what it answers and returns per clip, its Updates' rules,
and what it refuses before any child starts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio
from temporalio import activity, workflow
from temporalio.api.enums.v1 import EventType, ParentClosePolicy, WorkflowIdReusePolicy
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.converter import PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities import busy_clips
from workflows import conventions, error_types
from workflows.batch_models import BatchPlan, RegenerateClipsInput, RegenerateClipsResult
from workflows.models import ChatMessage, PlannerKind, RegenerateClipInput, RegenerateClipResult
from workflows.regenerate_clip import RegenerateClipWorkflow
from workflows.regenerate_clips import RegenerateClipsWorkflow
from workflows.spend_models import BudgetLeft, SpendQuery, SpendTerms
from workflows.step_models import (
    ClipContext,
    ClipRef,
    GenerationRequest,
    GenerationState,
    GenerationStatus,
    PersistRequest,
    PersistResult,
    PromptRequest,
    PromptSuggestion,
    StoredVideo,
    Submission,
    WaitRequest,
)

ASKED: dict[str, list] = {}  # job id -> (step, request), in order
CLIPS: dict[str, list[int]] = {}  # job id -> what list_clip_indexes answers
MISSING: set[tuple[str, int]] = set()  # (job, clip) whose context load fails ClipNotFound
LOADING: dict[str, list[int]] = {}  # job id -> [loads running now, most at once]
BUDGETS: dict[str, list[BudgetLeft]] = {}  # job id -> the budgets spend_terms reports
HELD: dict[str, asyncio.Event] = {}  # job id -> the re-check of budgets waits for it
CHILD: dict[tuple[str, int], str] = {}  # (job, clip) -> "fail" or "hold" (else: completed)
STARTED: dict[str, list[tuple[str | None, RegenerateClipInput]]] = {}  # job -> (parent, input)

PROMPT = "A city street at sunset, wide shot"


def asked(job, step: str) -> list:
    return [r for s, r in ASKED.get(str(job), []) if s == step]


def note(job, step: str, req) -> None:
    ASKED.setdefault(str(job), []).append((step, req))


@activity.defn(name="list_clip_indexes")
async def list_clip_indexes(job_id: uuid.UUID) -> list[int]:
    note(job_id, "list", job_id)
    return CLIPS[str(job_id)]


@activity.defn(name="open_workflows")
async def open_workflows(workflow_ids: list[str]) -> list[str]:
    """The real activity (it asks the dev server), with what it was asked recorded."""
    note(workflow_ids[0].split("regenerate-")[1][:36], "open", workflow_ids)
    return await busy_clips.open_workflows(workflow_ids)


@activity.defn(name="load_clip_context")
async def load_clip_context(ref: ClipRef) -> ClipContext:
    note(ref.job_id, "load", ref.clip_index)
    now = LOADING.setdefault(str(ref.job_id), [0, 0])
    now[0] += 1
    now[1] = max(now)
    await asyncio.sleep(0.2)
    now[0] -= 1
    if (str(ref.job_id), ref.clip_index) in MISSING:
        raise ApplicationError(f"job {ref.job_id} has no clip {ref.clip_index}",
                               type=error_types.CLIP_NOT_FOUND, non_retryable=True)
    return ClipContext(job_id=ref.job_id, clip_index=ref.clip_index, prompt=PROMPT,
                       original_seed=42, target_duration=4.0)


@activity.defn(name="spend_terms")
async def spend_terms(query: SpendQuery) -> SpendTerms:
    note(query.job_id, "spend", query)
    if len(asked(query.job_id, "spend")) > 1 and str(query.job_id) in HELD:
        await HELD[str(query.job_id)].wait()  # the re-check at confirm, held by the test
    return SpendTerms(budgets=BUDGETS.get(str(query.job_id), []))


@activity.defn(name="suggest_prompt")
async def suggest_prompt(req: PromptRequest) -> PromptSuggestion:
    note(req.context.job_id, "planner", req)
    return PromptSuggestion(prompt=f"{PROMPT}, a red balloon floats by", temperature=0.6,
                            reasoning="adds the balloon", planner=PlannerKind.OFFLINE)


@workflow.defn(name=conventions.WORKFLOW_TYPE, sandboxed=False)
class ChildStandIn:
    """Under RegenerateClipWorkflow's name: records its input and parent, then completes
    (version 10 + clip), fails ContentFiltered, or holds until signalled."""

    def __init__(self) -> None:
        self._released = False

    @workflow.signal(name="release")
    def release(self) -> None:
        self._released = True

    @workflow.run
    async def run(self, inp: RegenerateClipInput) -> RegenerateClipResult:
        parent = workflow.info().parent
        if not workflow.unsafe.is_replaying():
            STARTED.setdefault(str(inp.job_id), []).append(
                (parent.workflow_id if parent else None, inp))
        how = CHILD.get((str(inp.job_id), inp.clip_index))
        if how == "hold":
            await workflow.wait_condition(lambda: self._released)
        if how == "fail":
            raise ApplicationError("Veo filtered it twice", type=error_types.CONTENT_FILTERED,
                                   non_retryable=True)
        return RegenerateClipResult.model_validate(
            {**inp.approved_plan, "job_id": inp.job_id, "clip_index": inp.clip_index,
             "status": "completed", "version": 10 + inp.clip_index,
             "video_url": f"file:///videos/{inp.clip_index}.mp4"})


# The real child's steps (as tests/test_regenerate_clip_direct.py serves them).
@activity.defn(name="configured_backend")
async def configured_backend() -> str:
    return "preview"


@activity.defn(name="submit_generation")
async def submit_generation(req: GenerationRequest) -> Submission:
    note(req.job_id, "submit", req)
    return Submission(operation_name=f"operations/{req.regeneration_id}", backend="preview",
                      request=req.as_submitted(req.reference_image_urls))


@activity.defn(name="wait_for_generation")
async def wait_for_generation(req: WaitRequest) -> GenerationStatus:
    stored = StoredVideo(url=f"file:///videos/{req.store.regeneration_id}.mp4", backend="preview")
    return GenerationStatus(operation_name=req.operation_name, state=GenerationState.SUCCEEDED,
                            polls=1, stored=stored)


@activity.defn(name="persist_clip_version")
async def persist_clip_version(req: PersistRequest) -> PersistResult:
    note(req.job_id, "persist", req)
    return PersistResult(version_number=7, created=True)


BATCH_STEPS = [list_clip_indexes, open_workflows, load_clip_context, spend_terms, suggest_prompt]


@pytest_asyncio.fixture(scope="module")
async def batch(temporal_client: Client):
    queue = f"batch-direct-{uuid.uuid4().hex[:8]}"
    real = f"batch-direct-real-{uuid.uuid4().hex[:8]}"
    stand_in = Worker(temporal_client, task_queue=queue,
                      workflows=[RegenerateClipsWorkflow, ChildStandIn],
                      activities=BATCH_STEPS, workflow_runner=UnsandboxedWorkflowRunner())
    real_child = Worker(temporal_client, task_queue=real,
                        workflows=[RegenerateClipsWorkflow, RegenerateClipWorkflow],
                        activities=[*BATCH_STEPS, configured_backend, persist_clip_version],
                        workflow_runner=UnsandboxedWorkflowRunner())
    preview = Worker(temporal_client, task_queue=conventions.backend_queue(real, "preview"),
                     activities=[submit_generation, wait_for_generation])
    async with stand_in, real_child, preview:

        async def plan(inp: RegenerateClipsInput, *, queue: str = queue,
                       update=RegenerateClipsWorkflow.propose, **options):
            """Started as retake.client.plan_batch does: `propose` with the start."""
            start = WithStartWorkflowOperation(
                RegenerateClipsWorkflow.run, inp, id=conventions.batch_workflow_id(inp.job_id),
                task_queue=queue, execution_timeout=timedelta(seconds=30),
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL, **options)
            planned = await temporal_client.execute_update_with_start_workflow(
                update, start_workflow_operation=start)
            return await start.workflow_handle(), planned

        async def start(inp: RegenerateClipsInput, *, queue: str = queue):
            return await temporal_client.start_workflow(
                RegenerateClipsWorkflow.run, inp, id=conventions.batch_workflow_id(inp.job_id),
                task_queue=queue, execution_timeout=timedelta(seconds=30))

        plan.start, plan.queue, plan.real = start, queue, real
        yield plan


def batch_input(**fields) -> RegenerateClipsInput:
    # A batch's options default to confirm_first; options sent without it are a clip's.
    options = {"confirm_first": True, "poll_interval_seconds": 0.5, **fields.pop("options", {})}
    return RegenerateClipsInput(job_id=uuid.uuid4(), options=options, **fields)


async def details(handle) -> str:
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return metadata.current_details  # what the Web UI shows


async def children_started(handle) -> list:
    """The batch's child starts as its history has them, in order (the events)."""
    return [e for e in (await handle.fetch_history()).events if e.event_type
            == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED]


async def until(handle, check, what: str):
    for _ in range(100):
        state = await handle.query(RegenerateClipsWorkflow.batch)
        if check(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never {what}: {state}")


def summary_text(attrs) -> str:
    return PayloadConverter.default.from_payload(attrs.user_metadata.summary, str)


async def test_a_confirmed_batch_runs_one_child_per_clip_at_most_n_at_once(
    batch, temporal_client
):
    conversation = [ChatMessage(content=f"message {n}") for n in range(5)]
    inp = batch_input(clips=[4, 1, 2], instruction="make it nighttime", max_concurrent=2,
                      conversation=conversation, account_id="acct-7",
                      options={"confirm_first": True, "confirm_timeout_seconds": 600})
    job = str(inp.job_id)
    for clip in (4, 1, 2):
        CHILD[(job, clip)] = "hold"
    handle, planned = await batch(inp)
    assert isinstance(planned, BatchPlan) and planned.state == "awaiting_confirmation"
    assert [(c.clip_index, c.state, c.instruction) for c in planned.clips] == [
        (4, "planned", "make it nighttime"), (1, "planned", "make it nighttime"),
        (2, "planned", "make it nighttime")]  # in the order asked, not sorted
    assert [c.plan.template_id for c in planned.clips] == ["nighttime"] * 3
    assert [c.plan.generate_audio for c in planned.clips] == [False] * 3  # the worker's
    assert [c.plan.cost_estimate_usd for c in planned.clips] == [Decimal("0.80")] * 3
    assert planned.total_cost_estimate_usd == Decimal("2.40")
    assert planned.budgets == [] and planned.over_budget is None
    left = planned.expires_at - datetime.now(UTC)
    assert timedelta(seconds=590) < left <= timedelta(seconds=600)
    assert all(c.workflow_id is None and c.version is None for c in planned.clips)
    assert await details(handle) == (
        "**awaiting_confirmation**: $2.40 for 3 clips; waiting for confirm or cancel until "
        f"{planned.expires_at:%H:%M:%S} UTC")
    assert sorted(asked(job, "load")) == [1, 2, 4]
    assert LOADING[job] == [0, 2]  # planned two at a time
    assert asked(job, "open") == [[f"regenerate-{job}-{i}" for i in (4, 1, 2)]]
    assert asked(job, "spend") == [SpendQuery(job_id=inp.job_id, account_id="acct-7")]
    assert asked(job, "planner") == []  # a template each
    assert await children_started(handle) == []
    assert (await handle.query(RegenerateClipsWorkflow.batch)) == planned

    confirmed = await handle.execute_update(RegenerateClipsWorkflow.confirm)
    assert confirmed.state == "confirmed"
    assert len(asked(job, "spend")) == 1  # no budget was shown: none re-read
    running = await until(handle, lambda b: [c.state for c in b.clips].count("running") == 2,
                          "two running")
    assert running.state == "running"
    assert [c.state for c in running.clips] == ["running", "running", "queued"]
    assert [c.workflow_id for c in running.clips] == [
        f"regenerate-{job}-4", f"regenerate-{job}-1", None]
    assert running.total_cost_estimate_usd == Decimal("2.40")
    assert await details(handle) == "**running**: 2 running, 1 queued"
    for late in (RegenerateClipsWorkflow.confirm, RegenerateClipsWorkflow.cancel):
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update(late)
        assert refused.value.cause.type == error_types.UPDATE_NOT_ALLOWED
        assert refused.value.cause.message == (
            f"Cannot {late.__name__}: the plan is already confirmed and is being paid for.")
    await asyncio.sleep(0.3)
    assert len(STARTED[job]) == 2  # the third waits for a free slot

    await temporal_client.get_workflow_handle(f"regenerate-{job}-1").signal("release")
    running = await until(handle, lambda b: b.clips[2].state == "running", "clip 2 running")
    assert [c.state for c in running.clips] == ["running", "completed", "running"]
    assert await details(handle) == "**running**: 2 running, 1 completed"
    for clip in (4, 2):
        await temporal_client.get_workflow_handle(f"regenerate-{job}-{clip}").signal("release")
    result = await handle.result()

    assert isinstance(result, RegenerateClipsResult) and result.state == "finished"
    assert [(c.clip_index, c.state, c.version, c.video_url, c.workflow_id) for c in result.clips] == [
        (i, "completed", 10 + i, f"file:///videos/{i}.mp4", f"regenerate-{job}-{i}")
        for i in (4, 1, 2)]
    assert (result.completed, result.failed, result.busy) == (3, 0, 0)
    assert result.total_cost_estimate_usd == Decimal("2.40") and result.expires_at == planned.expires_at
    assert await details(handle) == "**finished**: done (3 completed)"

    batch_id = conventions.batch_workflow_id(job)
    by_clip = {c.clip_index: c for c in planned.clips}
    assert sorted((c.clip_index, parent) for parent, c in STARTED[job]) == [
        (1, batch_id), (2, batch_id), (4, batch_id)]
    for _, child in STARTED[job]:
        assert child.instruction == "make it nighttime" and child.account_id == "acct-7"
        assert child.conversation == conversation[-3:]  # what the planner saw
        assert child.options.confirm_first is False  # confirmed once, for the whole batch
        assert child.options.poll_interval_seconds == 0.5 and child.options.dry_run is False
        assert child.options.confirm_timeout_seconds == 600
        shown = by_clip[child.clip_index].plan
        assert child.approved_plan["prompt"] == shown.prompt
        assert child.approved_plan["seed"] == shown.seed
        assert Decimal(child.approved_plan["cost_estimate_usd"]) == shown.cost_estimate_usd
    assert inp.options.confirm_first is True  # the batch's own options left alone
    starts = await children_started(handle)
    assert [e.start_child_workflow_execution_initiated_event_attributes.workflow_id
            for e in starts] == [f"regenerate-{job}-{i}" for i in (4, 1, 2)]
    for clip, event in zip((4, 1, 2), starts, strict=True):
        s = event.start_child_workflow_execution_initiated_event_attributes
        assert s.workflow_type.name == "RegenerateClipWorkflow"
        assert s.task_queue.name == batch.queue
        assert s.parent_close_policy == ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON
        assert s.workflow_id_reuse_policy == (
            WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        fields = s.search_attributes.indexed_fields
        assert PayloadConverter.default.from_payload(fields["JobId"], str) == job
        assert PayloadConverter.default.from_payload(fields["ClipIndex"], int) == clip
        assert summary_text(event) == f"Regenerate clip {clip} of job {job} (batch {batch_id})"


async def test_without_confirm_first_failures_stay_on_their_clip_and_the_others_go_on(batch):
    inp = batch_input(instructions={9: "make it darker", 3: "add a red balloon",
                                    0: "make it nighttime"},
                      options={"confirm_first": False, "generate_audio": True})
    job = str(inp.job_id)
    MISSING.add((job, 9))
    CHILD[(job, 3)] = "fail"
    handle = await batch.start(inp)
    result = await handle.result()
    assert result.state == "finished"
    by_clip = {c.clip_index: c for c in result.clips}
    assert [c.clip_index for c in result.clips] == [0, 3, 9]  # instructions: by index
    assert [c.instruction for c in result.clips] == [
        "make it nighttime", "add a red balloon", "make it darker"]
    assert (by_clip[0].state, by_clip[0].version, by_clip[0].error_type) == ("completed", 10, None)
    assert by_clip[3].state == "failed" and by_clip[3].workflow_id == f"regenerate-{job}-3"
    assert by_clip[3].error_type == "ContentFiltered"
    assert by_clip[3].error_message == "Veo filtered it twice"
    assert by_clip[3].version is None and by_clip[3].plan.planner == "offline"
    assert by_clip[9].state == "plan_failed" and by_clip[9].plan is None
    assert by_clip[9].error_type == "ClipNotFound"
    assert by_clip[9].error_message == f"job {job} has no clip 9"
    assert by_clip[9].workflow_id is None
    assert (result.completed, result.failed, result.busy) == (1, 2, 0)
    # Sound asked for: priced higher; the failed clip's plan still counts (it was paid).
    assert [by_clip[i].plan.generate_audio for i in (0, 3)] == [True, True]
    assert [by_clip[i].plan.cost_estimate_usd for i in (0, 3)] == [Decimal("1.60")] * 2
    assert result.total_cost_estimate_usd == Decimal("3.20")
    [planner] = asked(job, "planner")
    assert planner.instruction == "add a red balloon" and planner.context.clip_index == 3
    assert sorted((c.clip_index, c.instruction) for _, c in STARTED[job]) == [
        (0, "make it nighttime"), (3, "add a red balloon")]  # never the unplanned clip
    assert asked(job, "spend") == [SpendQuery(job_id=inp.job_id)]  # no budget: no re-check
    assert await details(handle) == "**finished**: done (1 completed, 1 failed, 1 plan_failed)"


async def test_clips_busy_at_planning_or_at_the_start_are_reported_and_left_alone(
    batch, temporal_client
):
    inp = batch_input(clips=[0, 1, 2], instruction="make it darker",
                      options={"confirm_first": True})
    job = str(inp.job_id)
    CHILD[(job, 1)] = CHILD[(job, 0)] = "hold"
    elsewhere = RegenerateClipInput(job_id=inp.job_id, clip_index=1, instruction="mine")
    other = await temporal_client.start_workflow(
        ChildStandIn.run, elsewhere, id=f"regenerate-{job}-1", task_queue=batch.queue)
    handle, planned = await batch(inp)
    busy = planned.clips[1]
    assert (busy.state, busy.plan, busy.workflow_id) == ("busy", None, f"regenerate-{job}-1")
    assert busy.error_message == (
        f"clip 1 is already being regenerated or has a plan waiting (regenerate-{job}-1); it "
        "is not in this batch's plan or total. Finish or cancel that one, then plan it again.")
    assert [c.state for c in planned.clips] == ["planned", "busy", "planned"]
    assert sorted(asked(job, "load")) == [0, 2]  # a busy clip is not planned
    assert planned.total_cost_estimate_usd == Decimal("1.60")
    assert await details(handle) == (
        "**awaiting_confirmation**: $1.60 for 2 clips; waiting for confirm or cancel until "
        f"{planned.expires_at:%H:%M:%S} UTC")

    # Clip 0 gets a regeneration of its own before the batch is confirmed.
    mine = await temporal_client.start_workflow(
        ChildStandIn.run, elsewhere.model_copy(update={"clip_index": 0}),
        id=f"regenerate-{job}-0", task_queue=batch.queue)
    await handle.execute_update(RegenerateClipsWorkflow.confirm)
    result = await handle.result()
    assert [c.state for c in result.clips] == ["busy", "busy", "completed"]
    assert result.clips[0].error_message == (
        f"clip 0 was already being regenerated (regenerate-{job}-0); it was left alone. "
        "Regenerate it once that one has finished.")
    assert result.clips[0].workflow_id is None and result.clips[0].plan is not None
    assert (result.completed, result.failed, result.busy) == (1, 0, 2)
    assert [c.clip_index for _, c in STARTED[job]] == [1, 0, 2]  # the two others' own runs
    assert [p for p, _ in STARTED[job]] == [None, None, conventions.batch_workflow_id(job)]
    assert await details(handle) == "**finished**: done (2 busy, 1 completed)"
    for held in (other, mine):
        await held.terminate()


async def test_a_cancelled_batch_starts_nothing_and_reports_every_plan_not_run(batch):
    inp = batch_input(clips=[5, 6, 2], instruction="make it nighttime")
    job = str(inp.job_id)
    MISSING.add((job, 6))
    handle, planned = await batch(inp)  # confirm_first: a batch's default
    assert [c.state for c in planned.clips] == ["planned", "plan_failed", "planned"]
    cancelled = await handle.execute_update(RegenerateClipsWorkflow.cancel)
    assert cancelled.state == "cancelled"
    assert [c.state for c in cancelled.clips] == ["not_run", "plan_failed", "not_run"]
    assert cancelled.total_cost_estimate_usd == Decimal("0")
    result = await handle.result()
    assert result.state == "cancelled" and result.total_cost_estimate_usd == Decimal("0")
    assert [c.state for c in result.clips] == ["not_run", "plan_failed", "not_run"]
    assert all(c.plan is not None for c in (result.clips[0], result.clips[2]))
    assert (result.completed, result.failed, result.busy) == (0, 1, 0)
    assert await children_started(handle) == [] and job not in STARTED
    assert await details(handle) == (
        "**cancelled**: the batch was cancelled; nothing was paid (2 not_run, 1 plan_failed)")


async def test_a_batch_nobody_confirms_expires_with_nothing_started(batch):
    inp = batch_input(clips=[1, 3], instruction="make it nighttime",
                      options={"confirm_first": True, "confirm_timeout_seconds": 1.0})
    handle, planned = await batch(inp)
    assert timedelta(0) < planned.expires_at - datetime.now(UTC) <= timedelta(seconds=1)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert cause.type == error_types.PLAN_EXPIRED
    assert cause.message == ("The batch plan for 2 clips was not confirmed within 1 s, so "
                             "nothing was generated or paid. Plan again, or raise "
                             "options.confirm_timeout_seconds.")
    expired = await handle.query(RegenerateClipsWorkflow.batch)
    assert expired.state == "expired" and [c.state for c in expired.clips] == ["not_run"] * 2
    assert expired.total_cost_estimate_usd == Decimal("0")
    assert await children_started(handle) == []
    assert await details(handle) == (
        "**expired**: the plan was not confirmed in time; nothing paid (2 not_run)")


async def test_a_dry_run_plans_every_clip_and_starts_nothing(batch):
    inp = batch_input(clips="all", instruction="make it nighttime",
                      options={"confirm_first": False, "dry_run": True})
    job = str(inp.job_id)
    CLIPS[job] = [0, 2, 5]
    result = await (await batch.start(inp)).result()
    assert asked(job, "list") == [inp.job_id]  # "all": the job's clips
    assert [(c.clip_index, c.state) for c in result.clips] == [
        (0, "planned"), (2, "planned"), (5, "planned")]
    assert result.state == "finished" and result.total_cost_estimate_usd == Decimal("2.40")
    assert (result.completed, result.failed, result.busy) == (0, 0, 0)
    assert job not in STARTED


async def test_a_batch_with_every_clip_unplannable_asks_for_nothing_more(batch):
    inp = batch_input(clips=[7], instruction="make it nighttime",
                      options={"confirm_first": True})
    job = str(inp.job_id)
    MISSING.add((job, 7))
    handle, planned = await batch(inp)
    assert planned.state == "finished"  # nothing to confirm
    assert [c.state for c in planned.clips] == ["plan_failed"]
    result = await handle.result()
    assert (result.state, result.failed, result.total_cost_estimate_usd) == (
        "finished", 1, Decimal("0"))
    assert result.expires_at is None and job not in STARTED

    alone = batch_input(clips=[7], instruction="make it nighttime",
                        options={"confirm_first": False})
    MISSING.add((str(alone.job_id), 7))
    BUDGETS[str(alone.job_id)] = [budget("0.00")]
    result = await (await batch.start(alone)).result()
    assert (result.state, result.failed) == ("finished", 1)
    assert len(asked(alone.job_id, "spend")) == 1  # nothing to pay: budgets not read again


async def test_a_bad_batch_is_refused_before_any_step(batch):
    inp = batch_input(clips="all", instruction="make it darker", instructions={0: "x"},
                      max_concurrent=0)
    job = str(inp.job_id)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await batch(inp)  # the propose sent with the start answers why
    cause = refused.value.cause
    assert cause.type == error_types.INVALID_INPUT and cause.non_retryable
    assert cause.message == (
        "Invalid batch request: give either `instruction` (for `clips`) or `instructions` per "
        "clip, not both; max_concurrent must be within 1-20.")
    assert asked(job, "list") == [] and asked(job, "load") == [] and asked(job, "open") == []

    empty = batch_input(clips="all", instruction="make it darker")
    CLIPS[str(empty.job_id)] = []
    with pytest.raises(WorkflowFailureError) as failure:
        await (await batch.start(empty)).result()
    assert failure.value.cause.type == error_types.INVALID_INPUT
    assert failure.value.cause.message == (
        'Invalid batch request: no clips to regenerate: list clip indexes, or use "all" on a '
        "job with clips.")
    assert asked(empty.job_id, "open") == [] and asked(empty.job_id, "spend") == []


async def test_updates_while_planning_or_malformed_are_refused(batch, temporal_client):
    for update in (RegenerateClipsWorkflow.confirm, RegenerateClipsWorkflow.cancel):
        inp = batch_input(clips=[0, 1], instruction="make it nighttime")
        with pytest.raises(WorkflowUpdateFailedError) as refused:  # sent with the start
            await batch(inp, update=update)
        assert refused.value.cause.type == error_types.UPDATE_NOT_ALLOWED
        assert refused.value.cause.message == (
            f"Cannot {update.__name__} yet: the plan is still being made. Wait for the "
            "`propose` Update (sent with the start) to return it.")
        handle = temporal_client.get_workflow_handle_for(
            RegenerateClipsWorkflow.run, conventions.batch_workflow_id(inp.job_id))
        if update is RegenerateClipsWorkflow.confirm:  # the refused one still plans, waits
            assert (await handle.execute_update(RegenerateClipsWorkflow.propose)).state == (
                "awaiting_confirmation")
            await handle.execute_update(RegenerateClipsWorkflow.cancel)
    planned = await handle.execute_update(RegenerateClipsWorkflow.propose)
    assert planned.state == "awaiting_confirmation"
    with pytest.raises(WorkflowUpdateFailedError) as bad:
        await handle.execute_update(conventions.CONFIRM_UPDATE, {"revision": "first"})
    assert bad.value.cause.type == error_types.INVALID_INPUT
    assert bad.value.cause.message.startswith("Invalid confirm argument (revision: ")
    with pytest.raises(WorkflowUpdateFailedError) as bad:
        await handle.execute_update(conventions.CANCEL_UPDATE, "now")
    assert bad.value.cause.type == error_types.INVALID_INPUT
    assert bad.value.cause.message.startswith("The cancel Update takes a JSON object, got str")
    assert (await handle.query(RegenerateClipsWorkflow.batch)).state == "awaiting_confirmation"
    await handle.execute_update(conventions.CANCEL_UPDATE, {})
    assert (await handle.result()).state == "cancelled"


def budget(left: str) -> BudgetLeft:
    return BudgetLeft(name="RETAKE_BUDGET_USD_PER_JOB (this job)", limit_usd=Decimal("5.00"),
                      left_usd=Decimal(left))


async def test_a_batch_over_a_budget_is_refused_whole_at_confirm_and_still_waits(batch):
    inp = batch_input(clips=[0, 1], instruction="make it nighttime", account_id="acct-9")
    job = str(inp.job_id)
    BUDGETS[job] = [budget("1.60")]
    handle, planned = await batch(inp)
    assert planned.budgets == [budget("1.60")] and planned.over_budget is None  # just fits
    BUDGETS[job] = [budget("1.59")]  # another run paid meanwhile
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(RegenerateClipsWorkflow.confirm)
    cause = refused.value.cause
    assert cause.type == error_types.BUDGET_EXCEEDED
    assert cause.message == (
        "The batch plan for 2 clips costs $1.60 and would exceed RETAKE_BUDGET_USD_PER_JOB "
        "(this job): $1.59 of $5.00 is left; it does not reset: raise it to spend more. "
        "Nothing was paid. The plan still waits: cancel it, or ask for a shorter or cheaper one.")
    assert asked(job, "spend") == [SpendQuery(job_id=inp.job_id, account_id="acct-9")] * 2
    still = await handle.query(RegenerateClipsWorkflow.batch)
    assert still.state == "awaiting_confirmation" and still.budgets == [budget("1.60")]
    BUDGETS[job] = [budget("1.60")]
    await handle.execute_update(RegenerateClipsWorkflow.confirm)
    assert (await handle.result()).completed == 2
    assert len(asked(job, "spend")) == 3  # once a confirm, not again before paying


async def test_a_batch_shown_over_its_budget_says_so_in_the_plan(batch):
    inp = batch_input(clips=[0, 1], instruction="make it nighttime")
    BUDGETS[str(inp.job_id)] = [budget("1.59")]
    handle, planned = await batch(inp)
    assert planned.over_budget == (
        "The batch (2 clips) costs $1.60 and would exceed RETAKE_BUDGET_USD_PER_JOB (this "
        "job): $1.59 of $5.00 is left; it does not reset: raise it to spend more. Nothing "
        "was paid.")
    await handle.execute_update(RegenerateClipsWorkflow.cancel)
    assert (await handle.result()).over_budget is None  # nothing left to pay


async def test_without_confirm_first_a_batch_over_a_budget_starts_no_child(batch):
    inp = batch_input(clips=[0, 1], instruction="make it nighttime",
                      options={"confirm_first": False})
    job = str(inp.job_id)
    BUDGETS[job] = [budget("1.59")]
    handle = await batch.start(inp)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert failure.value.cause.type == error_types.BUDGET_EXCEEDED
    assert await children_started(handle) == [] and job not in STARTED


async def test_a_cancel_while_the_confirm_rereads_the_budgets_wins(batch):
    inp = batch_input(clips=[0, 1], instruction="make it nighttime")
    job = str(inp.job_id)
    BUDGETS[job] = [budget("5.00")]
    HELD[job] = asyncio.Event()
    # A held step outlasts the workflow task (heartbeated at 80% of its 1 s), so the
    # cancel is delivered while the confirm waits for the budgets.
    handle, _ = await batch(inp, task_timeout=timedelta(seconds=1))
    confirming = asyncio.create_task(handle.execute_update(RegenerateClipsWorkflow.confirm))
    for _ in range(100):
        if len(asked(job, "spend")) == 2:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the confirm never re-read the budgets")
    cancelled = await handle.execute_update(RegenerateClipsWorkflow.cancel)
    assert cancelled.state == "cancelled"
    HELD[job].set()
    answer = await confirming
    assert answer.state == "cancelled"  # not confirmed after all
    result = await handle.result()
    assert result.state == "cancelled" and job not in STARTED


async def test_the_real_child_pays_for_the_plan_the_batch_showed(batch):
    inp = batch_input(clips=[3], instruction="make it nighttime",
                      options={"confirm_first": False})
    job = str(inp.job_id)
    result = await (await batch.start(inp, queue=batch.real)).result()
    [clip] = result.clips
    assert (clip.state, clip.version) == ("completed", 7)
    assert clip.video_url.startswith(f"file:///videos/regenerate-{job}-3/")
    [submitted] = asked(job, "submit")
    assert submitted.prompt == clip.plan.prompt and submitted.seed == clip.plan.seed
    assert len(asked(job, "load")) == 2  # the batch's plan, the child's re-check


async def test_a_propose_sent_with_a_batch_without_confirm_first_answers_once_it_runs(
    batch, temporal_client
):
    inp = batch_input(clips=[2], instruction="make it nighttime", options={"confirm_first": False})
    job = str(inp.job_id)
    CHILD[(job, 2)] = "hold"
    handle, planned = await asyncio.wait_for(batch(inp), timeout=5)  # not after the children
    assert planned.state == "running" and planned.total_cost_estimate_usd == Decimal("0.80")
    assert [c.state for c in planned.clips] == ["queued"]  # paid for without a confirm
    await until(handle, lambda b: b.clips[0].state == "running", "clip 2 running")
    await temporal_client.get_workflow_handle(f"regenerate-{job}-2").signal("release")
    assert (await handle.result()).completed == 1
