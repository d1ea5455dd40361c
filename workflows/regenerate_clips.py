"""RegenerateClipsWorkflow: several clips of one job, one combined plan, one confirmation.

    validate -> which clips ("all" = the job's clips) -> plan each clip (capped; a clip
    that cannot be planned is reported, the others go on) -> one combined plan and total
    cost -> [confirm first: wait for `confirm` / `cancel`, or expire] -> one child
    RegenerateClipWorkflow per planned clip, at most `max_concurrent` at a time

Each child runs on the clip's own id (`regenerate-{job}-{clip}`) with the plan the batch
showed (`approved_plan`), so what is paid is what was confirmed. A clip already being
regenerated cannot be started again: it is reported `busy`, not overwritten. A child's
failure is reported on its clip; the other children go on. Children are ABANDONED if
the batch is terminated: a paid generation still finishes and is saved.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import (
    ApplicationError,
    ChildWorkflowError,
    WorkflowAlreadyStartedError,
)

with workflow.unsafe.imports_passed_through():
    import workflows.confirm_first as confirm_first
    import workflows.patches as patches
    import workflows.plan_spend as plan_spend
    import workflows.steps as steps
    from activities.busy_clips import open_workflows
    from activities.job_store.job_clips import JobClipsActivities
    from workflows import conventions, decisions, error_types
    from workflows.batch_models import (
        MAX_BATCH_CONCURRENCY,
        BatchPlan,
        ClipOutcome,
        RegenerateClipsInput,
        RegenerateClipsResult,
    )
    from workflows.caps import MAX_BATCH_CLIPS
    from workflows.conversation import CANCEL, CONFIRM, state_refusal, summary_of
    from workflows.decisions import CONVERSATION_WINDOW
    from workflows.decisions.spend import budget_refusal, wants_audio
    from workflows.models import Cancellation, Confirmation, RegenerateClipInput
    from workflows.regenerate_clip import RegenerateClipWorkflow
    from workflows.spend_models import SpendTerms
    from workflows.step_models import Plan, PromptRequest, PromptSuggestion
    from workflows.step_options import DATABASE_STEP
    from workflows.update_args import parse
    from workflows.validation import MAX_CLIP_INDEX, problems


def batch_problems(inp: RegenerateClipsInput, indexes: list[int]) -> list[str]:
    """Every problem with a batch request, worded for the person who sent it."""
    found: list[str] = []
    if (inp.instruction is None) == (not inp.instructions):
        found.append("give either `instruction` (for `clips`) or `instructions` per clip, not both")
    if not indexes:
        found.append("no clips to regenerate: list clip indexes, or use \"all\" on a job with clips")
    if len(indexes) > MAX_BATCH_CLIPS:
        found.append(f"{len(indexes)} clips is over the {MAX_BATCH_CLIPS} one batch may take: "
                     "split the job into several batches")
        return found  # each index's checks would only repeat it
    if any(not 0 <= i <= MAX_CLIP_INDEX for i in indexes):
        found.append(f"clip indexes must be within 0-{MAX_CLIP_INDEX}")
    if len(set(indexes)) != len(indexes):
        found.append("a clip index is listed twice")
    if not 1 <= inp.max_concurrent <= MAX_BATCH_CONCURRENCY:
        found.append(f"max_concurrent must be within 1-{MAX_BATCH_CONCURRENCY}")
    for index in indexes[:1] if inp.instruction is not None else indexes:
        one = RegenerateClipInput(
            job_id=inp.job_id, clip_index=index, conversation=inp.conversation,
            instruction=inp.instructions.get(index, inp.instruction or ""), options=inp.options,
        )
        found += [f"clip {index}: {p}" if inp.instructions else p for p in problems(one)]
    return found


@workflow.defn(name=conventions.BATCH_WORKFLOW_TYPE)
class RegenerateClipsWorkflow:
    @workflow.init
    def __init__(self, inp: RegenerateClipsInput) -> None:
        self._job_id = inp.job_id
        self._input = inp
        self._state = "planning"
        self._clips: list[ClipOutcome] = []
        self._plans: dict[int, Plan] = {}
        self._expires_at = None
        self._ended: BaseException | None = None
        self._spend = SpendTerms(generate_audio_default=True)  # as before spend-in-plan

    @workflow.query(name=conventions.BATCH_QUERY)
    def batch(self) -> BatchPlan:
        """The combined plan, and each clip's progress and outcome so far."""
        return self._batch(BatchPlan)

    @workflow.run
    async def run(self, inp: RegenerateClipsInput) -> RegenerateClipsResult:
        patches.decide_first(patches.BATCH)  # why: workflows/patches.py
        return await steps.run_to_typed_end(self._regenerate_all(inp), self._end)

    def _end(self, err: BaseException) -> None:
        self._ended = err

    async def _regenerate_all(self, inp: RegenerateClipsInput) -> RegenerateClipsResult:
        indexes = await self._clip_indexes(inp)
        found = batch_problems(inp, indexes)
        if found:
            raise ApplicationError(
                "Invalid batch request: " + "; ".join(found) + ".",
                type=error_types.INVALID_INPUT,
                non_retryable=True,
            )
        self._clips = [
            ClipOutcome(clip_index=i, instruction=inp.instructions.get(i, inp.instruction or ""))
            for i in indexes
        ]
        self._details(f"planning {len(indexes)} clips")
        if patches.applies(patches.BATCH_BUSY_AT_PLANNING):
            await self._mark_busy(inp)
        self._spend = await plan_spend.terms_for(inp.job_id, inp.account_id)
        gate = asyncio.Semaphore(inp.max_concurrent)
        await asyncio.gather(*(self._plan_clip(gate, inp, clip) for clip in self._clips
                               if clip.state == "planning"))

        planned = [c for c in self._clips if c.state == "planned"]
        if planned and inp.options.confirm_first:
            self._state = "awaiting_confirmation"
            if not await self._await_confirmation(inp.options.confirm_timeout_seconds):
                return self._finish("cancelled", "the batch was cancelled; nothing was paid")
        if planned and not inp.options.dry_run:
            if not inp.options.confirm_first:  # no confirm re-checked it: checked here, whole
                await self._refuse_unless_it_fits(inp)
            self._state = "running"
            for clip in planned:
                clip.state = "queued"
            await asyncio.gather(*(self._run_clip(gate, inp, clip) for clip in planned))
        return self._finish("finished", "done")

    # --- steps -------------------------------------------------------------------

    async def _clip_indexes(self, inp: RegenerateClipsInput) -> list[int]:
        if inp.instructions:
            return sorted(inp.instructions)
        if inp.clips != "all":
            return list(inp.clips)
        return await steps.local_step(
            JobClipsActivities.list_clip_indexes, inp.job_id,
            summary="list the job's clips", timeout=DATABASE_STEP,
        )

    async def _mark_busy(self, inp: RegenerateClipsInput) -> None:
        """Clips with an open regeneration (or plan) of their own: shown busy in the plan
        the user confirms, never planned or counted in its total."""
        ids = {conventions.workflow_id_for(inp.job_id, c.clip_index): c for c in self._clips}
        running = await steps.local_step(
            open_workflows, list(ids), summary="find clips busy elsewhere", timeout=DATABASE_STEP
        )
        for workflow_id in running:
            clip = ids[workflow_id]
            clip.state = "busy"
            clip.workflow_id = workflow_id
            clip.error_message = (
                f"clip {clip.clip_index} is already being regenerated or has a plan waiting "
                f"({workflow_id}); it is not in this batch's plan or total. Finish or cancel "
                "that one, then plan it again."
            )

    async def _plan_clip(self, gate: asyncio.Semaphore, inp: RegenerateClipsInput,
                         clip: ClipOutcome) -> None:
        """Plan one clip as RegenerateClipWorkflow would; a failure stays on this clip."""
        async with gate:
            try:
                context = await steps.load_context(
                    inp.job_id, clip.clip_index, summary=f"load clip {clip.clip_index}"
                )
                plan = await decisions.plan_clip(
                    clip.instruction, context, conversation=inp.conversation,
                    rng=workflow.random(), video_model=inp.options.video_model,
                    ask_planner=self._ask_planner, aspect_ratio=inp.options.aspect_ratio,
                    generate_audio=wants_audio(inp.options.generate_audio,
                                               self._spend.generate_audio_default),
                    budgets=self._spend.budgets,
                )
            except ApplicationError as err:  # typed by the step (workflows/steps.py)
                self._record_failure(clip, "plan_failed", err)
                return
        self._plans[clip.clip_index] = plan
        clip.plan = summary_of(plan)
        clip.state = "planned"

    async def _ask_planner(self, request: PromptRequest) -> PromptSuggestion:
        return await steps.ask_planner(
            request, summary=f"rewrite prompt of clip {request.context.clip_index}"
        )

    async def _await_confirmation(self, timeout_seconds: float) -> bool:
        """True once confirmed, False if cancelled; PlanExpired when nobody answers in time."""
        self._expires_at = confirm_first.expiry(timeout_seconds)
        self._details(
            f"${self._total()} for {len(self._plans)} clips; waiting for confirm or cancel "
            f"until {self._expires_at:%H:%M:%S} UTC"
        )
        if not await confirm_first.decided_in_time(
            lambda: self._state != "awaiting_confirmation",
            timeout_seconds=timeout_seconds,
            timeout_summary="batch plan expiry",
        ):
            self._finish("expired", "the plan was not confirmed in time; nothing paid")
            raise confirm_first.plan_expired(
                f"The batch plan for {len(self._plans)} clips", timeout_seconds
            )
        return self._state == "confirmed"

    async def _run_clip(self, gate: asyncio.Semaphore, inp: RegenerateClipsInput,
                        clip: ClipOutcome) -> None:
        """One child on the clip's own id, with the confirmed plan; its outcome on the clip."""
        async with gate:
            child_id = conventions.workflow_id_for(inp.job_id, clip.clip_index)
            child_input = RegenerateClipInput(
                job_id=inp.job_id, clip_index=clip.clip_index, instruction=clip.instruction,
                # What the planner saw, not the whole chat: each child's input stays small.
                conversation=inp.conversation[-CONVERSATION_WINDOW:],
                options=inp.options.model_copy(update={"confirm_first": False}),
                approved_plan=self._plans[clip.clip_index].model_dump(mode="json"),
                account_id=inp.account_id,
            )
            try:
                handle = await workflow.start_child_workflow(
                    RegenerateClipWorkflow.run, child_input, id=child_id,
                    id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    search_attributes=conventions.search_attributes_for(
                        inp.job_id, clip.clip_index
                    ),
                    static_summary=f"Regenerate clip {clip.clip_index} of job {inp.job_id} "
                                   f"(batch {workflow.info().workflow_id})",
                )
            except WorkflowAlreadyStartedError:
                clip.state = "busy"
                clip.error_message = (
                    f"clip {clip.clip_index} was already being regenerated ({child_id}); "
                    "it was left alone. Regenerate it once that one has finished."
                )
                return
            clip.state, clip.workflow_id = "running", child_id
            self._details(self._counts())
            try:
                result = await handle
            except ChildWorkflowError as err:
                self._record_failure(clip, "failed", err.cause or err)
            else:
                clip.state, clip.version, clip.video_url = "completed", result.version, result.video_url
            self._details(self._counts())

    # --- the Updates -----------------------------------------------------------------

    @workflow.update(name=conventions.PROPOSE_UPDATE)
    async def propose(self) -> BatchPlan:
        """The combined plan, once every clip is planned (sent with the start)."""
        await workflow.wait_condition(
            lambda: self._state != "planning" or self._ended is not None
        )
        if self._state == "planning" and isinstance(self._ended, ApplicationError):
            raise self._ended
        return self._batch(BatchPlan)

    @workflow.update(name=conventions.CONFIRM_UPDATE)
    async def confirm(self, confirmation: Any = None) -> BatchPlan:
        """Pay for every planned clip of the combined plan; refused as a whole
        (BudgetExceeded, still waiting) when the total no longer fits a budget."""
        await self._refuse_unless_it_fits(self._input)
        if self._state != "awaiting_confirmation":  # decided while the budgets were read
            return self._batch(BatchPlan)
        self._state = "confirmed"
        return self._batch(BatchPlan)

    @confirm.validator
    def _check_confirm(self, confirmation: Any = None) -> None:
        # Raw JSON, checked here: a bad argument is InvalidInput, not an SDK TypeError.
        parse(Confirmation, confirmation, update=CONFIRM, example="{} (or no argument)",
              required=False)
        self._refuse(CONFIRM)

    @workflow.update(name=conventions.CANCEL_UPDATE)
    async def cancel(self, cancellation: Any = None) -> BatchPlan:
        """Drop the combined plan: nothing is paid."""
        self._state = "cancelled"
        self._drop_plans()
        return self._batch(BatchPlan)

    @cancel.validator
    def _check_cancel(self, cancellation: Any = None) -> None:
        parse(Cancellation, cancellation, update=CANCEL, example="{} (or no argument)",
              required=False)
        self._refuse(CANCEL)

    async def _refuse_unless_it_fits(self, inp: RegenerateClipsInput) -> None:
        await plan_spend.refuse_unless_it_fits(
            inp.job_id, inp.account_id, self._total(),
            what=f"The batch plan for {len(self._plans)} clips",
            shown_budgets=bool(self._spend.budgets))

    def _refuse(self, update: str) -> None:
        refused = state_refusal(update, self._state)
        if refused is not None:
            raise refused

    # --- bookkeeping -----------------------------------------------------------------

    def _record_failure(self, clip: ClipOutcome, state: str, cause: BaseException) -> None:
        clip.state = state
        clip.error_type = getattr(cause, "type", None) or type(cause).__name__
        clip.error_message = getattr(cause, "message", None) or str(cause)

    def _drop_plans(self) -> None:
        for clip in self._clips:
            if clip.state == "planned":
                clip.state = "not_run"

    def _total(self) -> Decimal:
        paid_states = ("planned", "queued", "running", "completed", "failed")
        return sum((c.plan.cost_estimate_usd for c in self._clips
                    if c.plan is not None and c.state in paid_states), Decimal(0))

    def _counts(self) -> str:
        states = [c.state for c in self._clips]
        return ", ".join(f"{states.count(s)} {s}" for s in dict.fromkeys(states))

    def _details(self, text: str) -> None:
        workflow.set_current_details(f"**{self._state}**: {text}")

    def _finish(self, state: str, text: str) -> RegenerateClipsResult:
        self._state = state
        if state in ("cancelled", "expired"):
            self._drop_plans()
        self._details(f"{text} ({self._counts()})")
        return self._batch(RegenerateClipsResult)

    def _batch(self, model):
        extra = {}
        if model is RegenerateClipsResult:
            states = [c.state for c in self._clips]
            extra = dict(completed=states.count("completed"),
                         failed=states.count("failed") + states.count("plan_failed"),
                         busy=states.count("busy"))
        return model(
            job_id=self._job_id, state=self._state,
            clips=[c.model_copy() for c in self._clips],
            total_cost_estimate_usd=self._total(), expires_at=self._expires_at, **extra,
            budgets=self._spend.budgets, over_budget=budget_refusal(
                self._total(), self._spend.budgets, what=f"The batch ({len(self._plans)} clips)"),
        )
