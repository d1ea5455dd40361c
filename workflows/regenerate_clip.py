"""RegenerateClipWorkflow: the story of one clip regeneration, step by step.

    validate -> load context -> template, or ask the planner (GPT-4o / offline)
    -> refine temperature + choose seed (pure) -> [dry run stops here]
    -> [confirm first: wait for confirm / revise / cancel Updates, or expire]
    -> submit to Veo -> wait -> store the video -> persist the new version

Orchestration only: every step that touches the outside world is an activity
(one hop away, in activities/), every decision is pure code in workflows/decisions/ (one entry: `plan_clip`).

Durability choices, in one place:
- Load, plan and persist are local activities: retried like any activity, but they
  cost no extra workflow-task round trip (docs/benchmarks.md measures the
  difference). Store was one too, and still is for histories recorded before backend
  queues; it now runs on the backend's queue (see Routing). Each is idempotent (store
  writes to a deterministic key, persist is keyed by the regeneration id), so a crash
  that re-runs one is harmless: a dead worker's workflow task times out and a new
  worker runs the step again.
- Submission, the paid call, is a normal activity (visible with its attempts in the
  Web UI, heartbeating) keyed by a regeneration id that a workflow reset keeps
  (`_regeneration_id`, patched); the activity reserves it in a Postgres ledger before
  paying and records the operation after, so retries, replays, crashes and resets
  adopt it instead of paying (activities/video/submission_ledger.py). Persist and the
  result use what was sent (the submission's echo), not the plan recomputed here.
- A paid video outlives the regeneration: when the deadline passes or the run is
  cancelled after Veo may have accepted the job, `_collect_late` starts
  CollectLateVideoWorkflow (abandon parent-close policy, patched), which saves it as
  a non-current version.
- Routing (issue 12): Veo submissions go to their own task queue, rate-limited by the
  server to the project's Veo quota (conventions.veo_submit_queue); waiting and storing
  go to the backend's own queue (conventions.backend_queue), polled only by workers
  configured for that backend. The backend is the workflow worker's, asked once
  (VideoActivities.configured_backend, a local activity, so replays agree).
- A failed operation with a transient code (decisions/operation_errors.py) is
  resubmitted once, like the content-filter retry, and counted in the result.
- Waiting uses Temporal's "infrequent polling" pattern: one status check per
  activity attempt, and the retry policy's fixed interval is the poll interval.
  Between attempts no worker slot is held, and retries add no history events, so
  a 6-minute job has the same history as a 60-second one.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    TimeoutError,
    WorkflowAlreadyStartedError,
)
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    # Whole module names: `from workflows import x` would load x afresh in each run's
    # sandbox (the package is re-imported there and its fromlist bypasses the pass-through).
    import workflows.conventions as conventions
    import workflows.decisions as decisions
    import workflows.error_types as error_types
    import workflows.patches as patches
    from activities.job_store.job_store_activities import JobStoreActivities
    from activities.planner.prompt_activities import PromptActivities
    from activities.video.video_activities import VideoActivities
    from workflows.conventions import backend_queue, veo_submit_queue
    from workflows.conversation import CANCEL, CONFIRM, REVISE, PlanConversation, state_refusal
    from workflows.models import (
        Confirmation,
        PlanProposal,
        PlanSummary,
        Progress,
        RegenerateClipInput,
        RegenerateClipResult,
        Revision,
        Timings,
    )
    from workflows.step_failures import step_name, step_timed_out, typed_step_failure
    from workflows.step_models import (
        ClipContext,
        ClipRef,
        GenerationRequest,
        GenerationState,
        GenerationStatus,
        LateCollectionRequest,
        PersistRequest,
        Plan,
        PromptRequest,
        PromptSuggestion,
        StoredVideo,
        StoreVideoRequest,
        Submission,
        WaitRequest,
    )
    from workflows.validation import validate

T = TypeVar("T")
FILTERED_RETRIES = 1  # one retry with a sanitised prompt, then give up
LATE_COLLECTOR = "CollectLateVideoWorkflow"  # started by name: it imports this module

# Never retried: a retry cannot fix these.
_NON_RETRYABLE = [
    error_types.INVALID_INPUT,
    error_types.JOB_NOT_FOUND,
    error_types.STAGE_MISSING,
    error_types.CLIP_NOT_FOUND,
    error_types.INVALID_METADATA,
    error_types.PROVIDER_AUTH,
    error_types.PROVIDER_BAD_REQUEST,
    error_types.PROVIDER_NOT_FOUND,
    error_types.PROVIDER_QUOTA_EXHAUSTED,  # issue 12: OpenAI 429 insufficient_quota
    error_types.CONTENT_FILTERED,
]
_SHORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=15),
    non_retryable_error_types=_NON_RETRYABLE,
)
_STEP_BUDGET = timedelta(minutes=10)  # how long a step may keep retrying a transient fault
# Network activities heartbeat (activities/heartbeat.py): a crashed worker's attempt is
# retried after this, not after the start-to-close timeout.
_HEARTBEAT = timedelta(seconds=10)


# The SDK (temporalio 1.35) keeps retrying a failing local activity past its
# schedule_to_close_timeout (measured: attempts went on for minutes past a 3 s budget), so
# under patches.STEP_BUDGET the budget is an attempt count: as many attempts as can start
# within it. (A workflow timer around the step was tried first; when the step outlasted a
# workflow task the timer reached history, and a replay elsewhere, where the step resolves
# from its marker at once, never issued it: a nondeterminism. An attempt cap issues no
# command.)


def attempts_within(budget: timedelta, timeout: timedelta, policy: RetryPolicy) -> int:
    """How many attempts start within `budget` if each one runs to its timeout, then backs off."""
    attempts, elapsed, interval = 1, timeout, policy.initial_interval
    while True:
        elapsed += interval
        if elapsed >= budget:
            return attempts
        attempts += 1
        elapsed += timeout
        interval = min(interval * policy.backoff_coefficient, policy.maximum_interval)


# How the store step is scheduled (the regeneration adds its backend's task queue;
# benchmarks/bench_store.py schedules it the same way).
STORE_STEP_OPTIONS = dict(
    start_to_close_timeout=timedelta(minutes=5),
    heartbeat_timeout=_HEARTBEAT,
    schedule_to_close_timeout=_STEP_BUDGET,
    retry_policy=_SHORT_RETRY,
    summary="store video",
)


async def _local_step(
    activity, arg, *, summary: str, timeout: timedelta, budget: timedelta = _STEP_BUDGET
):
    """Run a short, idempotent step as a local activity with the shared retry budget.

    Out of attempts, the step fails with a typed StepTimedOut (workflows/step_failures.py).
    """
    if not patches.applies(patches.STEP_BUDGET):
        return await workflow.execute_local_activity_method(
            activity, arg, start_to_close_timeout=timeout, schedule_to_close_timeout=budget,
            retry_policy=_SHORT_RETRY, summary=summary,
        )
    retry = dataclasses.replace(
        _SHORT_RETRY, maximum_attempts=attempts_within(budget, timeout, _SHORT_RETRY)
    )
    name = step_name(getattr(activity, "__name__", summary))
    try:
        return await workflow.execute_local_activity_method(
            activity, arg, start_to_close_timeout=timeout, schedule_to_close_timeout=budget,
            retry_policy=retry, summary=summary,
        )
    # A local activity's failure arrives as its cause itself, not wrapped in ActivityError.
    except TimeoutError as err:
        kind = err.type.name.lower().replace("_", "-") if err.type else "unknown"
        raise step_timed_out(name, f"time ({kind} timeout)") from err
    except ApplicationError as err:
        if err.non_retryable or err.type in _NON_RETRYABLE:
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
    `on_end` learns why it ended (a waiting `propose` Update answers with that), and every
    Update handler has finished before the run closes."""
    try:
        return await work
    except BaseException as err:
        typed = typed_failure(err)
        on_end(typed)
        if typed is err:
            raise
        raise typed from err
    finally:
        await workflow.wait_condition(workflow.all_handlers_finished)


@workflow.defn
class RegenerateClipWorkflow:
    @workflow.init  # the input is known before any Update (update-with-start) is validated
    def __init__(self, inp: RegenerateClipInput) -> None:
        self._progress = Progress(stage="starting")
        self._started = workflow.now()
        self._timings = Timings()
        self._confirm_first = inp.options.confirm_first
        self._talk: PlanConversation | None = None  # set once a confirm-first plan exists
        self._ended: BaseException | None = None  # why the run ended before a plan existed
        self._request_id: str | None = None
        self._possible_duplicates = 0
        # A submission that may have been paid and whose video is not saved yet:
        # (its ledger key, the Submission once the submit activity returned).
        self._unsaved: tuple[str, Submission | None] | None = None

    @workflow.query
    def progress(self) -> Progress:
        """Where the regeneration is; elapsed is as of the workflow's last event."""
        return self._progress

    @workflow.run
    async def run(self, inp: RegenerateClipInput) -> RegenerateClipResult:
        return await run_to_typed_end(self._regenerate_or_collect(inp), self._end)

    async def _regenerate_or_collect(self, inp: RegenerateClipInput) -> RegenerateClipResult:
        """The regeneration; cancelled after Veo may have accepted the job, its video is
        collected anyway (`_collect_late`)."""
        try:
            return await self._regenerate(inp)
        except asyncio.CancelledError:
            await self._collect_late(inp)
            raise
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):  # an activity cancelled with the run
                await self._collect_late(inp)
            raise

    def _end(self, err: BaseException) -> None:
        self._ended = err

    async def _regenerate(self, inp: RegenerateClipInput) -> RegenerateClipResult:
        # Before the first local activity: see workflows/patches.py for why.
        patches.decide_first(patches.REGENERATION)
        self._set_stage("validating", "checking the request")
        # Whoever started the run (CLI, any SDK): searchable by job, and one run per clip
        # (a wrong id is refused here, before anything is paid).
        workflow_id = None
        if patches.applies(patches.OWNS_CONVENTIONS):
            self._set_search_attributes(inp)
            workflow_id = workflow.info().workflow_id
        validate(inp, workflow_id=workflow_id, catalogue=patches.applies(patches.VEO_CATALOGUE))
        self._request_id = inp.request_id

        context = await self._load_context(inp)
        plan = await self._plan(inp, context)
        if inp.options.dry_run:
            self._set_stage("planned", "dry run: nothing generated or saved")
            return self._result(inp, plan, status="planned")

        # --- Confirm first (issue 16): the ONE place a regeneration waits for its caller. ---
        # Nothing is paid until a `confirm` Update; `revise` re-plans inside its handler
        # (the Updates are below); `cancel` ends with a "cancelled" result and an
        # unconfirmed plan fails as PlanExpired. Either way nothing was paid.
        if inp.options.confirm_first:
            self._talk = PlanConversation(inp, context, plan)
            if not await self._await_confirmation(inp.options.confirm_timeout_seconds):
                self._set_stage("cancelled", "the plan was cancelled; nothing was paid")
                return self._result(inp, plan, status="cancelled")
            inp, plan = self._talk.confirmed_input(), self._talk.plan
            self._started = workflow.now()  # the deadline counts from the confirmation

        backend = await self._configured_backend()
        submission, status, plan, filtered_retries, resubmissions = await self._generate(
            inp, plan, backend
        )
        # Save and report what Veo was sent (the ledger's echo), not the plan as this
        # code recomputes it: on a replay or a reset the two can differ.
        plan = _as_submitted(plan, submission)
        stored = await self._store(inp, plan, submission, status, routed=backend is not None)
        version = await self._persist(inp, plan, stored)
        self._set_stage("completed", f"version {version} of clip {inp.clip_index} is current")
        return self._result(
            inp,
            plan,
            status="completed",
            version=version,
            stored=stored,
            polls=status.polls,
            filtered_retries=filtered_retries,
            transient_resubmissions=resubmissions,
        )

    # --- confirm first: the wait and the Updates ------------------------------------

    async def _await_confirmation(self, timeout_seconds: float) -> bool:
        """True once confirmed, False if cancelled; PlanExpired when nobody answers in time.

        Each new plan (the first, each revision) gets the full timeout.
        """
        talk = self._talk
        while True:
            if talk.state == "revising":
                await workflow.wait_condition(lambda: talk.state != "revising")
                continue
            if talk.state == "confirmed":
                return True
            if talk.state == "cancelled":
                return False
            revision = talk.revision
            talk.expires_at = workflow.now() + timedelta(seconds=timeout_seconds)
            self._set_stage(
                "awaiting_confirmation",
                f"plan revision {revision} costs ${talk.plan.cost_estimate_usd}; waiting for "
                f"confirm, revise or cancel until {talk.expires_at:%H:%M:%S} UTC",
            )
            try:
                await workflow.wait_condition(
                    lambda seen=revision: talk.state != "awaiting_confirmation"
                    or talk.revision != seen,
                    timeout=timedelta(seconds=timeout_seconds),
                    timeout_summary="plan expiry",
                )
            except asyncio.TimeoutError:  # noqa: UP041 (TimeoutError here is Temporal's)
                if talk.state == "awaiting_confirmation" and talk.revision == revision:
                    talk.state = "expired"
                    self._set_stage("expired", "the plan was not confirmed in time; nothing paid")
                    raise ApplicationError(
                        f"The plan for clip {talk.first_input.clip_index} was not confirmed "
                        f"within {timeout_seconds:g} s, so nothing was generated or paid. "
                        "Plan again, or raise options.confirm_timeout_seconds.",
                        type=error_types.PLAN_EXPIRED,
                        non_retryable=True,
                    ) from None

    @workflow.query
    def proposal(self) -> PlanProposal | None:
        """The current confirm-first plan (None before planning, or without confirm_first)."""
        return self._talk.proposal() if self._talk else None

    @workflow.update
    async def propose(self) -> PlanProposal:
        """The first plan, once made: the Update sent with the start (update-with-start)."""
        await workflow.wait_condition(lambda: self._talk is not None or self._ended is not None)
        if self._talk is None:
            if isinstance(self._ended, ApplicationError):
                raise self._ended
            raise ApplicationError(
                f"The regeneration ended before a plan was made ({type(self._ended).__name__}); "
                "its result says why.",
                type=error_types.UPDATE_NOT_ALLOWED,
                non_retryable=True,
            )
        return self._talk.proposal()

    @propose.validator
    def _check_propose(self) -> None:
        self._refuse_unless_confirm_first("propose")

    @workflow.update
    async def confirm(self, confirmation: Confirmation) -> PlanProposal:
        """Pay for the current plan: returns the plan that will be generated."""
        self._talk.state = "confirmed"
        self._set_stage("confirmed", f"plan revision {self._talk.revision} confirmed")
        return self._talk.proposal()

    @confirm.validator
    def _check_confirm(self, confirmation: Confirmation) -> None:
        self._refuse(CONFIRM, revision=confirmation.revision)

    @workflow.update
    async def revise(self, revision: Revision) -> PlanProposal:
        """Re-plan with a follow-up instruction (nothing paid); returns the new plan."""
        talk = self._talk
        talk.state = "revising"
        self._set_stage("revising", f"re-planning with: {revision.instruction[:80]}")
        try:
            inp, context = talk.revised_request(revision.instruction)
            plan = await self._plan(inp, context)
        except BaseException:
            talk.state = "awaiting_confirmation"  # the previous plan stands
            raise
        talk.accept_revision(revision.instruction, plan)
        return talk.proposal()

    @revise.validator
    def _check_revise(self, revision: Revision) -> None:
        self._refuse(REVISE, instruction=revision.instruction)

    @workflow.update
    async def cancel(self) -> PlanProposal:
        """Drop the plan: the regeneration ends "cancelled" with nothing paid."""
        self._talk.state = "cancelled"
        return self._talk.proposal()

    @cancel.validator
    def _check_cancel(self) -> None:
        self._refuse(CANCEL)

    def _refuse_unless_confirm_first(self, update: str) -> None:
        if not self._confirm_first:
            raise ApplicationError(
                f"Cannot {update}: this regeneration was not started with "
                "options.confirm_first, so it does not wait for a confirmation.",
                type=error_types.UPDATE_NOT_ALLOWED,
                non_retryable=True,
            )

    def _refuse(self, update: str, **details) -> None:
        self._refuse_unless_confirm_first(update)
        if self._talk is None:
            raise state_refusal(update, "planning")
        refusal = self._talk.refusal(update, **details)
        if refusal is not None:
            raise refusal

    # --- steps -------------------------------------------------------------------

    async def _load_context(self, inp: RegenerateClipInput) -> ClipContext:
        self._set_stage("loading", f"reading job {inp.job_id}, clip {inp.clip_index}")
        started = workflow.now()
        context = await _local_step(
            JobStoreActivities.load_clip_context,
            ClipRef(job_id=inp.job_id, clip_index=inp.clip_index),
            summary="load clip context",
            timeout=timedelta(seconds=30),
        )
        self._timings.load = self._since(started)
        return context

    async def _plan(self, inp: RegenerateClipInput, context: ClipContext) -> Plan:
        if inp.approved_plan is not None:  # a batch showed this plan and had it confirmed
            self._set_stage("planning", "using the plan the batch confirmed")
            return Plan.model_validate(inp.approved_plan)
        self._set_stage("planning", "matching templates")
        started = workflow.now()
        plan = await decisions.plan_clip(
            inp.instruction,
            context,
            conversation=inp.conversation,
            rng=workflow.random(),
            video_model=inp.options.video_model,
            ask_planner=self._ask_planner,
            aspect_ratio=inp.options.aspect_ratio,
        )
        self._progress.policy_version = plan.policy_version
        if plan.template_id:
            self._set_stage("planning", f"template '{plan.template_id}' applies")
        self._timings.plan = self._since(started)
        return plan

    async def _ask_planner(self, request: PromptRequest) -> PromptSuggestion:
        self._set_stage("planning", "asking the planner to rewrite the prompt")
        return await _local_step(
            PromptActivities.suggest_prompt,
            request,
            summary="rewrite prompt",
            timeout=timedelta(seconds=90),
        )

    async def _configured_backend(self) -> str | None:
        """The video backend of the worker running this workflow (issue 12), or None for a
        history recorded before backend queues existed (then everything stays on the main
        queue and store stays local, as it was)."""
        if not patches.applies(patches.BACKEND_QUEUES):
            return None
        return await workflow.execute_local_activity_method(
            VideoActivities.configured_backend,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=_SHORT_RETRY,
            summary="which video backend",
        )

    async def _generate(
        self, inp: RegenerateClipInput, plan: Plan, backend: str | None
    ) -> tuple[Submission, GenerationStatus, Plan, int, int]:
        """Submit and wait; after a content filter, one retry with a sanitised prompt; after
        a transient operation error (13, 14, ...), one resubmission of the same plan."""
        started = workflow.now()
        filtered = resubmitted = submissions = 0
        while True:
            # Stable across retries, replays and worker crashes; new for each resubmission.
            submission = await self._submit(inp, plan, submissions, backend)
            submissions += 1
            status = await self._wait(inp, submission, routed=backend is not None)
            if status.state != GenerationState.SUCCEEDED:
                self._unsaved = None  # Veo finished without a video: nothing to collect
            if status.state == GenerationState.SUCCEEDED:
                self._timings.generate = self._since(started)
                return submission, status, plan, filtered, resubmitted
            if status.state == GenerationState.FAILED:
                if (
                    resubmitted < decisions.TRANSIENT_RESUBMISSIONS
                    and decisions.is_transient_operation_error(status.error_code)
                    and patches.applies(patches.TRANSIENT_RESUBMIT)
                ):
                    resubmitted += 1
                    self._set_stage(
                        "generating",
                        f"Veo failed transiently (code {status.error_code}); submitting again",
                    )
                    continue
                again = " again after one resubmission" if resubmitted else ""
                raise ApplicationError(
                    f"Veo could not generate clip {inp.clip_index}{again} "
                    f"(code {status.error_code}): {status.error_message}. "
                    "Try again later, or rephrase the instruction.",
                    type=error_types.GENERATION_FAILED,
                    non_retryable=True,
                )
            reasons = status.filter_reasons or ["unspecified"]
            if filtered >= FILTERED_RETRIES:
                raise ApplicationError(
                    f"Veo's content filter refused clip {inp.clip_index} twice "
                    f"(reasons: {', '.join(reasons)}). Rephrase the instruction; the original "
                    "clip is unchanged.",
                    type=error_types.CONTENT_FILTERED,
                    non_retryable=True,
                )
            filtered += 1
            plan = plan.model_copy(
                update={"prompt": decisions.sanitise_prompt(plan.prompt, reasons)}
            )
            self._set_stage("generating", "content filter hit; retrying with a safer prompt")

    async def _submit(
        self, inp: RegenerateClipInput, plan: Plan, attempt: int, backend: str | None
    ) -> Submission:
        self._set_stage("submitting", f"sending the generation to {plan.video_model}")
        regeneration_id = f"{self._regeneration_id()}/{attempt}"
        main = workflow.info().task_queue
        queue = None  # a history from before backend queues: the main queue
        if backend is not None:
            queue = veo_submit_queue(main) if backend == "veo" else backend_queue(main, backend)
        self._unsaved = (regeneration_id, None)
        submission: Submission = await workflow.execute_activity_method(
            VideoActivities.submit_generation,
            GenerationRequest(
                regeneration_id=regeneration_id,
                job_id=inp.job_id,
                clip_index=inp.clip_index,
                model=plan.video_model,
                prompt=plan.prompt,
                negative_prompt=plan.negative_prompt,
                seed=plan.seed,
                duration_seconds=plan.duration_seconds,
                aspect_ratio=inp.options.aspect_ratio,
                reference_image_urls=plan.reference_image_urls,
                enhance_prompt=plan.enhance_prompt,
                delivered_seconds=plan.cut_to_seconds(),
                policy_version=plan.policy_version,
                temperature=plan.temperature,
            ),
            start_to_close_timeout=timedelta(seconds=120),
            heartbeat_timeout=_HEARTBEAT,
            schedule_to_close_timeout=_STEP_BUDGET,
            retry_policy=_SHORT_RETRY,
            summary="submit to Veo",
            task_queue=queue,
        )
        self._possible_duplicates += submission.possible_duplicate_charges
        self._unsaved = (regeneration_id, submission)
        return submission

    async def _wait(
        self, inp: RegenerateClipInput, submission: Submission, *, routed: bool
    ) -> GenerationStatus:
        self._set_stage("waiting", f"Veo is generating ({submission.operation_name})")
        poll = timedelta(seconds=inp.options.poll_interval_seconds)
        remaining = inp.options.deadline_seconds - self._since(self._started)
        try:
            status = await workflow.execute_activity_method(
                VideoActivities.wait_for_generation,
                WaitRequest(operation_name=submission.operation_name, backend=submission.backend),
                start_to_close_timeout=timedelta(seconds=60),
                heartbeat_timeout=_HEARTBEAT,
                schedule_to_close_timeout=timedelta(seconds=max(remaining, 1.0)),
                retry_policy=RetryPolicy(
                    initial_interval=poll,
                    backoff_coefficient=1.0,
                    maximum_interval=poll,
                    non_retryable_error_types=_NON_RETRYABLE,
                ),
                summary="wait for Veo",
                task_queue=self._backend_queue(submission) if routed else None,
            )
        except ActivityError as err:
            # The deadline arrives as a timeout, or (issue 15) as the last GenerationPending
            # when the server sees the next poll would start after it.
            still_pending = (
                isinstance(err.cause, ApplicationError)
                and err.cause.type == error_types.GENERATION_PENDING
            )
            if isinstance(err.cause, TimeoutError) or still_pending:
                # The deadline bounds how long the caller waits, not whether the paid
                # video is collected.
                collector = await self._collect_late(inp)
                later = (
                    f" It is paid for: workflow {collector} collects it and saves it as a "
                    f"version of clip {inp.clip_index} that is not current (its result, and "
                    "this workflow's progress query, say which)."
                    if collector
                    else ""
                )
                raise ApplicationError(
                    f"Veo did not finish clip {inp.clip_index} within the "
                    f"{inp.options.deadline_seconds:.0f} s deadline (operation "
                    f"{submission.operation_name}).{later} Start the regeneration again or "
                    "raise options.deadline_seconds.",
                    {"late_collection_workflow_id": collector} if collector else None,
                    type=error_types.GENERATION_TIMED_OUT,
                    non_retryable=True,
                ) from err
            raise
        self._progress.polls += status.polls
        return status

    async def _store(
        self,
        inp: RegenerateClipInput,
        plan: Plan,
        submission: Submission,
        status: GenerationStatus,
        *,
        routed: bool,
    ) -> StoredVideo:
        self._set_stage("storing", "fetching and storing the new video")
        started = workflow.now()
        request = StoreVideoRequest(
            operation_name=submission.operation_name,
            backend=submission.backend,
            job_id=inp.job_id,
            clip_index=inp.clip_index,
            regeneration_id=self._regeneration_id(),
            video_gcs_uri=status.video_gcs_uri,
            delivered_seconds=plan.cut_to_seconds(),
        )
        if routed:  # on the backend's queue: only a worker that can fetch it stores it
            stored = await workflow.execute_activity_method(
                VideoActivities.store_generated_video,
                request,
                **STORE_STEP_OPTIONS,
                task_queue=self._backend_queue(submission),
            )
        else:
            stored = await _local_step(
                VideoActivities.store_generated_video,
                request,
                summary="store video",
                timeout=timedelta(minutes=5),
            )
        self._timings.store = self._since(started)
        return stored

    async def _persist(self, inp: RegenerateClipInput, plan: Plan, stored: StoredVideo) -> int:
        self._set_stage("saving", "recording the new clip version")
        started = workflow.now()
        persisted = await _local_step(
            JobStoreActivities.persist_clip_version,
            PersistRequest(
                job_id=inp.job_id,
                clip_index=inp.clip_index,
                regeneration_id=self._regeneration_id(),
                video_url=stored.url,
                prompt=plan.prompt,
                negative_prompt=plan.negative_prompt,
                user_instruction=inp.instruction,
                seed=plan.seed,
                temperature=plan.temperature,
                # Data fidelity (issue 15): the entry describes the new clip. The plan here
                # is the submitted request's echo (_as_submitted): what Veo was sent.
                # The length is the stored video's: cut to the clip, or whole as generated.
                duration_seconds=stored.trimmed_to_seconds or float(plan.generated_seconds),
                cost_usd=plan.cost_estimate_usd,
                generation_seconds=self._timings.generate,
                policy_version=plan.policy_version,
            ),
            summary="persist version",
            timeout=timedelta(seconds=30),
        )
        self._unsaved = None
        self._timings.persist = self._since(started)
        return persisted.version_number

    async def _collect_late(self, inp: RegenerateClipInput) -> str | None:
        """Start the collector of a paid, unsaved video; its workflow id (None: nothing to
        collect, or a run from before the patch)."""
        if self._unsaved is None or not patches.applies(patches.LATE_COLLECTION):
            return None
        submission_id, submission = self._unsaved
        collector_id = conventions.late_collection_id(
            workflow.info().first_execution_run_id, submission_id.rsplit("/", 1)[-1]
        )
        try:
            await workflow.start_child_workflow(
                LATE_COLLECTOR,
                LateCollectionRequest(
                    job_id=inp.job_id,
                    clip_index=inp.clip_index,
                    submission_id=submission_id,
                    regeneration_id=self._regeneration_id(),
                    user_instruction=inp.instruction,
                    submission=submission,
                    poll_interval_seconds=inp.options.poll_interval_seconds,
                ),
                id=collector_id,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"Collect the paid video of clip {inp.clip_index} of job "
                f"{inp.job_id} after its regeneration ended",
            )
        except WorkflowAlreadyStartedError:
            pass  # a reset run reached the same point: one collector is enough
        self._unsaved = None
        self._progress = self._progress.model_copy(
            update={"late_collection_workflow_id": collector_id}
        )
        return collector_id

    # --- bookkeeping ---------------------------------------------------------------

    def _set_search_attributes(self, inp: RegenerateClipInput) -> None:
        """Upsert JobId/ClipIndex unless the starter already set them (retake.client does)."""
        current = workflow.info().typed_search_attributes
        wanted = conventions.search_attributes_for(inp.job_id, inp.clip_index)
        updates = [p.key.value_set(p.value) for p in wanted if current.get(p.key) != p.value]
        if updates:
            workflow.upsert_search_attributes(updates)

    def _backend_queue(self, submission: Submission) -> str:
        return backend_queue(workflow.info().task_queue, submission.backend)

    def _regeneration_id(self) -> str:
        """Keys the paid submission, the stored video and the persisted version.

        A reset starts a new run of the same execution chain; keying by the run id
        would pay again there. With the patch, the key is the caller's request id, else
        the chain's first run id (kept by a reset); histories from before it replay
        with the run id they were recorded with.
        """
        info = workflow.info()
        if not patches.applies(patches.RESET_PROOF_ID):
            return f"{info.workflow_id}/{info.run_id}"
        if self._request_id:
            return f"{info.workflow_id}/request-{self._request_id}"
        return f"{info.workflow_id}/{info.first_execution_run_id}"

    def _since(self, started) -> float:
        return (workflow.now() - started).total_seconds()

    def _set_stage(self, stage: str, detail: str) -> None:
        elapsed = self._since(self._started)
        self._progress = self._progress.model_copy(
            update={"stage": stage, "detail": detail, "elapsed_seconds": elapsed}
        )
        workflow.set_current_details(f"**{stage}**: {detail}")

    def _result(
        self,
        inp: RegenerateClipInput,
        plan: Plan,
        *,
        status: str,
        version: int | None = None,
        stored: StoredVideo | None = None,
        polls: int = 0,
        filtered_retries: int = 0,
        transient_resubmissions: int = 0,
    ) -> RegenerateClipResult:
        self._timings.total = self._since(self._started)
        return RegenerateClipResult(
            **{field: getattr(plan, field) for field in PlanSummary.model_fields},
            job_id=inp.job_id,
            clip_index=inp.clip_index,
            status=status,
            version=version,
            video_url=stored.url if stored else None,
            video_backend=stored.backend if stored else None,
            polls=polls,
            filtered_retries=filtered_retries,
            possible_duplicate_charges=self._possible_duplicates,
            transient_resubmissions=transient_resubmissions,
            timings=self._timings,
        )


def _as_submitted(plan: Plan, submission: Submission) -> Plan:
    """The plan as Veo received it, from the submission's echo (absent in old histories)."""
    sent = submission.request
    if sent is None:
        return plan
    update = {
        "prompt": sent.prompt,
        "negative_prompt": sent.negative_prompt,
        "seed": sent.seed,
        "duration_seconds": sent.duration_seconds,
        "reference_image_urls": sent.reference_image_urls,
        "enhance_prompt": sent.enhance_prompt,
        "video_model": sent.model,
    }
    if sent.temperature is not None:
        update["temperature"] = sent.temperature
    return plan.model_copy(update=update)
