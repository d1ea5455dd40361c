"""RegenerateClipWorkflow: the story of one clip regeneration, step by step.

    validate -> load context -> template, or ask the planner (GPT-4o / offline)
    -> refine temperature + choose seed (pure) -> [dry run stops here]
    -> [confirm first: wait for confirm / revise / cancel Updates, or expire]
    -> submit to Veo -> wait -> store the video -> persist the new version

Orchestration only: every step that touches the outside world is an activity called
through workflows/steps.py (named timeouts in workflows/step_options.py), every decision
is pure code in workflows/decisions/ (one entry: `plan_clip`), and every patch is
decided up front from workflows/patches.py.

Durability choices, in one place:
- Load, plan and persist are local activities (no extra workflow-task round trip),
  each idempotent: a crash that re-runs one is harmless.
- Submission, the paid call, is a normal activity (visible with its attempts in the
  Web UI, heartbeating) keyed by a regeneration id that a workflow reset keeps
  (`_regeneration_id`); the activity reserves it in a Postgres ledger before paying and
  records the operation after, so retries, replays, crashes and resets adopt it instead
  of paying (activities/video/submission_ledger.py). Persist and the result use what
  was sent (the submission's echo, workflows/submitted.py), not the plan recomputed here.
- A paid video outlives the regeneration: past the deadline or cancelled, `_collect_late`
  starts CollectLateVideoWorkflow (abandoned child), which saves it as a non-current version.
- Routing: submissions on the Veo queue (rate-limited by the server to the Veo quota),
  waiting and storing on the backend's own queue (conventions.py), asked once.
- Waiting uses Temporal's "infrequent polling" pattern: one status check per activity
  attempt, and the retry policy's interval is the poll interval. Between attempts no
  worker slot is held, and retries add no history events, so a 6-minute job has the
  same history as a 60-second one.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
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
    import workflows.notify as notify
    import workflows.patches as patches
    import workflows.plan_spend as plan_spend
    import workflows.steps as steps
    from activities.video.video_activities import VideoActivities
    from workflows.continuity_step import (
        check_neighbours_unchanged,
        with_neighbour_frames,
    )
    from workflows.conversation import PlanConversation
    from workflows.decisions.spend import wants_audio
    from workflows.generation_attempts import GenerationAttempts, Next
    from workflows.models import (
        PlanSummary,
        Progress,
        RegenerateClipInput,
        RegenerateClipResult,
        Timings,
    )
    from workflows.regeneration_updates import ConfirmFirstConversation
    from workflows.step_failures import deadline_passed
    from workflows.step_models import (
        ClipContext,
        GenerationState,
        GenerationStatus,
        LateCollectionRequest,
        Plan,
        PromptRequest,
        PromptSuggestion,
        StoredVideo,
        StoreTarget,
        Submission,
    )
    from workflows.step_options import HEARTBEAT, SHORT_RETRY, STEP_BUDGET, SUBMIT_ATTEMPT
    from workflows.submitted import as_submitted, generation_request, version_to_save
    from workflows.trust import approved_plan_problem, plan_problems
    from workflows.validation import refuse_internal, validate


@workflow.defn(name=conventions.WORKFLOW_TYPE)
class RegenerateClipWorkflow(ConfirmFirstConversation):
    @workflow.init  # the input is known before any Update (update-with-start) is validated
    def __init__(self, inp: RegenerateClipInput) -> None:
        self._progress = Progress(stage="starting")
        self._spend = None  # the worker's sound setting and the budgets left, read once
        self._started = workflow.now()
        self._timings = Timings()
        self._confirm_first = inp.options.confirm_first  # or made so by a `propose` Update
        self._consent_decided = False
        self._confirm_timeout = inp.options.confirm_timeout_seconds
        self._talk: PlanConversation | None = None  # set once a confirm-first plan exists
        self._ended: BaseException | None = None  # why the run ended before a plan existed
        self._request_id: str | None = None
        self._possible_duplicates = 0
        # A submission that may have been paid and whose video is not saved yet:
        # (its ledger key, the Submission once the submit activity returned, the plan sent).
        self._unsaved: tuple[str, Submission | None, Plan] | None = None

    @workflow.query(name=conventions.PROGRESS_QUERY)
    def progress(self) -> Progress:
        """Where the regeneration is; elapsed is as of the workflow's last event."""
        return self._progress

    @workflow.run
    async def run(self, inp: RegenerateClipInput) -> RegenerateClipResult:
        try:
            result = await steps.run_to_typed_end(self._regenerate_or_collect(inp), self._end)
        except ApplicationError as err:  # pushed, never awaited (workflows/notify.py)
            await notify.push_end(inp, "failed", error_type=err.type, error_message=err.message)
            raise
        if result.status == "completed":
            await notify.push_end(inp, "completed", version=result.version,
                                  video_url=result.video_url)
        return result

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
            steps.own_search_attributes(inp.job_id, inp.clip_index)
            workflow_id = workflow.info().workflow_id
        validate(inp, workflow_id=workflow_id, catalogue=patches.applies(patches.VEO_CATALOGUE))
        if inp.approved_plan is not None and patches.applies(patches.INTERNAL_INPUTS):
            parent = workflow.info().parent
            refuse_internal(approved_plan_problem(inp.job_id, parent and parent.workflow_id))
        self._request_id = inp.request_id

        context = await self._load_context(inp)
        context = await with_neighbour_frames(inp, context, self._set_stage)
        plan = await self._plan(inp, context)
        self._consent_decided = True  # a `propose` from now on is refused (validator)
        if inp.options.dry_run:
            self._set_stage("planned", "dry run: nothing generated or saved")
            return self._result(inp, plan, status="planned")

        # Confirm first: the ONE place a regeneration waits for its caller. Nothing is paid
        # until a `confirm` Update; `revise` re-plans; `cancel` ends with a "cancelled"
        # result; an unconfirmed plan fails as PlanExpired (workflows/regeneration_updates.py).
        # A run that received `propose` waits too, whatever its options said.
        if self._confirm_first:
            self._talk = PlanConversation(inp, context, plan)
            if not await self._confirmed_or_cancelled(inp.options.confirm_timeout_seconds):
                self._set_stage("cancelled", "the plan was cancelled; nothing was paid")
                if patches.applies(patches.CONVERSATION_ANSWERS):
                    plan = self._talk.plan  # the plan that was cancelled, not revision 1
                return self._result(inp, plan, status="cancelled")
            inp, plan = self._talk.confirmed_input(), self._talk.plan
            await check_neighbours_unchanged(inp, plan)  # frames chosen at plan time
            self._started = workflow.now()  # the deadline counts from the confirmation

        backend = await self._configured_backend()
        attempts = await self._generate(inp, plan, backend)
        # Save and report what Veo was sent (the ledger's echo), not the plan as this
        # code recomputes it: on a replay or a reset the two can differ.
        plan = as_submitted(attempts.plan, attempts.submission.request)
        stored = await self._store(inp, plan, attempts, routed=backend is not None)
        version = await self._persist(inp, plan, stored)
        self._set_stage("completed", f"version {version} of clip {inp.clip_index} is current")
        return self._result(
            inp,
            plan,
            status="completed",
            version=version,
            stored=stored,
            polls=attempts.status.polls,
            filtered_retries=attempts.filtered_retries,
            transient_resubmissions=attempts.transient_resubmissions,
        )

    async def _confirmed_or_cancelled(self, timeout_seconds: float) -> bool:
        """The wait for consent; Temporal's own cancel of a pending plan ends the run as
        the `cancel` Update does (completed, status "cancelled"): one ending, whichever
        way the caller cancelled."""
        try:
            return await self._await_confirmation(timeout_seconds)
        except asyncio.CancelledError:
            if not patches.applies(patches.CONVERSATION_ANSWERS):
                raise
            self._talk.state = "cancelled"
            return False

    # --- steps -------------------------------------------------------------------

    async def _load_context(self, inp: RegenerateClipInput) -> ClipContext:
        self._set_stage("loading", f"reading job {inp.job_id}, clip {inp.clip_index}")
        started = workflow.now()
        context = await steps.load_context(
            inp.job_id, inp.clip_index, summary="load clip context"
        )
        self._timings.load = self._since(started)
        return context

    async def _plan(self, inp: RegenerateClipInput, context: ClipContext) -> Plan:
        if inp.approved_plan is not None:  # a batch showed this plan and had it confirmed
            self._set_stage("planning", "using the plan the batch confirmed")
            plan = Plan.model_validate(inp.approved_plan)
            if patches.applies(patches.INTERNAL_INPUTS):  # re-checked: no planner made it here
                known = [*context.scene_reference_urls, *context.character_reference_urls]
                found = plan_problems(plan, inp.options.aspect_ratio, known)
                refuse_internal("approved_plan: " + "; ".join(found) if found else None)
            return plan
        self._set_stage("planning", "matching templates")
        started = workflow.now()
        # Read once (revisions reuse it; the confirm re-reads, the door that pays checks).
        spend = self._spend = self._spend or await plan_spend.terms_for(inp.job_id,
                                                                         inp.account_id)
        plan = await decisions.plan_clip(
            inp.instruction,
            context,
            conversation=inp.conversation,
            rng=workflow.random(),
            video_model=inp.options.video_model,
            ask_planner=self._ask_planner,
            aspect_ratio=inp.options.aspect_ratio,
            continuity=inp.options.continuity,
            generate_audio=wants_audio(inp.options.generate_audio, spend.generate_audio_default),
            budgets=spend.budgets,
        )
        self._progress.policy_version = plan.policy_version
        self._timings.plan = self._since(started)
        return plan

    async def _ask_planner(self, request: PromptRequest) -> PromptSuggestion:
        self._set_stage("planning", "asking the planner to rewrite the prompt")
        return await steps.ask_planner(request, summary="rewrite prompt")

    async def _configured_backend(self) -> str | None:
        """The video backend of the worker running this workflow, or None for a history
        recorded before backend queues existed (then everything stays on the main queue
        and store stays local, as it was)."""
        if not patches.applies(patches.BACKEND_QUEUES):
            return None
        return await steps.configured_backend()

    async def _generate(
        self, inp: RegenerateClipInput, plan: Plan, backend: str | None
    ) -> GenerationAttempts:
        """Submit and wait until Veo made the video (GenerationAttempts decides the retries)."""
        started = workflow.now()
        attempts = GenerationAttempts(plan=plan, clip_index=inp.clip_index)
        while True:
            # Stable across retries, replays and worker crashes; new for each resubmission.
            attempts.submitted(await self._submit(inp, attempts.plan, attempts.submissions, backend))
            status = await self._wait(inp, attempts.submission, routed=backend is not None,
                                      store=self._store_target(inp, attempts.plan))
            if status.state != GenerationState.SUCCEEDED:
                self._unsaved = None  # Veo finished without a video: nothing to collect
            step = attempts.after(status)
            if step is Next.DONE:
                self._timings.generate = self._since(started)
                return attempts
            if step is Next.RESUBMIT:
                self._set_stage(
                    "generating",
                    f"Veo failed transiently (code {status.error_code}); submitting again",
                )
            else:
                self._set_stage("generating", "content filter hit; retrying with a safer prompt")

    async def _submit(
        self, inp: RegenerateClipInput, plan: Plan, attempt: int, backend: str | None
    ) -> Submission:
        self._set_stage("submitting", f"sending the generation to {plan.video_model}")
        regeneration_id = f"{self._regeneration_id()}/{attempt}"
        main = workflow.info().task_queue
        queue = None  # a history from before backend queues: the main queue
        if backend is not None:
            queue = (
                conventions.veo_submit_queue(main)
                if backend == "veo"
                else conventions.backend_queue(main, backend)
            )
        self._unsaved = (regeneration_id, None, plan)
        submission: Submission = await workflow.execute_activity_method(
            VideoActivities.submit_generation,
            generation_request(inp, plan, regeneration_id),
            start_to_close_timeout=SUBMIT_ATTEMPT,
            heartbeat_timeout=HEARTBEAT,
            schedule_to_close_timeout=STEP_BUDGET,
            retry_policy=SHORT_RETRY,
            summary="submit to Veo",
            task_queue=queue,
        )
        self._possible_duplicates += submission.possible_duplicate_charges
        self._unsaved = (regeneration_id, submission, plan)
        return submission

    def _store_target(self, inp: RegenerateClipInput, plan: Plan) -> StoreTarget | None:
        """Where the final check stores the video (patch store-in-final-check), or None."""
        if not patches.applies(patches.STORE_IN_CHECK):
            return None
        return StoreTarget(job_id=inp.job_id, clip_index=inp.clip_index,
                           regeneration_id=self._regeneration_id(),
                           delivered_seconds=plan.cut_to_seconds(),
                           keep=plan.continuity.keep if plan.continuity else "start")

    async def _wait(self, inp: RegenerateClipInput, submission: Submission, *, routed: bool,
                    store: StoreTarget | None = None) -> GenerationStatus:
        self._set_stage("waiting", f"Veo is generating ({submission.operation_name})")
        remaining = inp.options.deadline_seconds - self._since(self._started)
        try:
            status = await steps.wait_for_video(
                submission,
                poll_seconds=inp.options.poll_interval_seconds,
                budget=timedelta(seconds=max(remaining, 1.0)),
                queue=self._backend_queue(submission) if routed else None,
                summary="wait for Veo" if store is None else "wait for Veo, then store",
                store=store,
            )
        except ActivityError as err:
            # The deadline arrives as a timeout, or as the last GenerationPending when the
            # server sees the next poll would start after it.
            still_pending = (
                isinstance(err.cause, ApplicationError)
                and err.cause.type == error_types.GENERATION_PENDING
            )
            if isinstance(err.cause, TimeoutError) or still_pending:
                raise await self._deadline_passed(inp, submission) from err
            raise
        self._progress.polls += status.polls
        return status

    async def _deadline_passed(
        self, inp: RegenerateClipInput, submission: Submission
    ) -> ApplicationError:
        """The deadline bounds how long the caller waits, not whether the paid video is
        collected: a collector takes it over, and the error says where to find it."""
        collector = await self._collect_late(inp)
        return deadline_passed(inp.clip_index, inp.options.deadline_seconds,
                               submission.operation_name, collector)

    async def _store(
        self, inp: RegenerateClipInput, plan: Plan, attempts: GenerationAttempts, *, routed: bool
    ) -> StoredVideo:
        if attempts.status.stored is not None:  # the final check stored it (one fetch)
            return attempts.status.stored
        self._set_stage("storing", "fetching and storing the new video")
        started = workflow.now()
        submission = attempts.submission
        stored = await steps.store_video(
            submission,
            attempts.status,
            job_id=inp.job_id,
            clip_index=inp.clip_index,
            regeneration_id=self._regeneration_id(),
            delivered_seconds=plan.cut_to_seconds(),
            queue=self._backend_queue(submission) if routed else None,
            summary="store video",
            **({"keep": plan.continuity.keep} if plan.continuity else {}),
        )
        self._timings.store = self._since(started)
        return stored

    async def _persist(self, inp: RegenerateClipInput, plan: Plan, stored: StoredVideo) -> int:
        self._set_stage("saving", "recording the new clip version")
        started = workflow.now()
        persisted = await steps.persist_version(
            version_to_save(
                job_id=inp.job_id,
                clip_index=inp.clip_index,
                regeneration_id=self._regeneration_id(),
                user_instruction=inp.instruction,
                stored=stored,
                sent=None,  # `plan` is already as submitted (from the echo)
                plan=plan,
                generation_seconds=self._timings.generate,
            ),
            summary="persist version",
        )
        self._unsaved = None
        self._timings.persist = self._since(started)
        return persisted.version_number

    async def _collect_late(self, inp: RegenerateClipInput) -> str | None:
        """Start the collector of a paid, unsaved video; its workflow id (None: nothing to
        collect, or a run from before late collection)."""
        if self._unsaved is None or not patches.applies(patches.LATE_COLLECTION):
            return None
        submission_id, submission, plan = self._unsaved
        collector_id = conventions.late_collection_id(
            workflow.info().first_execution_run_id, submission_id.rsplit("/", 1)[-1]
        )
        try:
            await workflow.start_child_workflow(
                conventions.LATE_COLLECTOR_WORKFLOW_TYPE,  # by name: it imports the steps
                LateCollectionRequest(
                    job_id=inp.job_id,
                    clip_index=inp.clip_index,
                    submission_id=submission_id,
                    regeneration_id=self._regeneration_id(),
                    user_instruction=inp.instruction,
                    submission=submission,
                    plan=plan,
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

    def _backend_queue(self, submission: Submission) -> str:
        return conventions.backend_queue(workflow.info().task_queue, submission.backend)

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

