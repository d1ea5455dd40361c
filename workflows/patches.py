"""Every `workflow.patched` id Retake's workflows use, and the one place they are decided.

Why one place: a patch decision taken after a local activity can be recorded in a later
workflow task than the one a replay sees it in. When a query waits on a workflow task,
the SDK completes the task as soon as the local activity finishes and shows its result
to the code only in the next task; the patch marker the code records then lands in task
2, while a replay resolves the local activity inside task 1 and so sees no marker, takes
the old path and fails with "Non-deprecated patch marker encountered" (a run that works
while cached and hangs for good after a restart; tests/sdk_repro/ reproduces it without
Retake code). So every workflow calls `decide_first(...)` before its first local
activity, and code elsewhere only reads the decision with `applies(...)`: the SDK
memoizes a decision, so a later read records nothing.

Retiring a patch (temporalio/samples-python `patching/`): once no open run and no
history kept in tests/histories/ lacks its marker, replace `applies(P)` by the new path
with `workflow.deprecate_patch(P.id)` for one release, then remove the id.
`tests/test_patches.py` checks docs/operations.md against this list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from temporalio import workflow


@dataclass(frozen=True)
class Patch:
    id: str
    new: str  # what runs recorded with the marker do
    old: str  # what histories recorded without it replay
    retire: str  # when it can be deprecated, then removed


DECIDED_FIRST = Patch(
    "patches-decided-first",
    new="every other patch of the workflow is decided before its first local activity",
    old="patches are decided where they are first needed (replays as recorded)",
    retire="when no open run started before 2026-12-05 remains",
)
OWNS_CONVENTIONS = Patch(
    "owns-conventions",
    new="the regeneration upserts JobId/ClipIndex and refuses a non-conventional id",
    old="neither",
    retire="when no open run predates it and before_policy_version/ histories are dropped",
)
VEO_CATALOGUE = Patch(
    "veo-model-catalogue",
    new="the video model is checked against the Veo model catalogue",
    old="the old veo- prefix check",
    retire="when no open run predates it",
)
STEP_BUDGET = Patch(
    "local-step-budget-timer",
    new="a local step gets as many attempts as can start within its 10-minute budget, "
    "then fails StepTimedOut (the id is historical: a timer was tried first and dropped)",
    old="the uncapped retry policy",
    retire="when before_policy_version/ histories without it are dropped",
)
RESET_PROOF_ID = Patch(
    "reset-proof-regeneration-id",
    new="paid work is keyed by the request id, else the first execution's run id "
    "(a workflow reset keeps it)",
    old="keyed by {workflow id}/{run id}",
    retire="when no open run predates it",
)
LATE_COLLECTION = Patch(
    "collect-late-videos",
    new="a paid video outliving the regeneration is saved by CollectLateVideoWorkflow",
    old="nothing collects it",
    retire="when no open run predates it",
)
BACKEND_QUEUES = Patch(
    "backend-task-queues",
    new="submit on the Veo queue, wait and store on the backend's queue",
    old="everything on the main queue, store as a local activity",
    retire="when no open run predates it",
)
TRANSIENT_RESUBMIT = Patch(
    "transient-operation-resubmit",
    new="a transiently failed Veo operation is resubmitted once",
    old="it fails the regeneration",
    retire="when no open run predates it",
)
INTERNAL_INPUTS = Patch(
    "internal-inputs-checked",
    new="approved_plan only from the job's batch, re-checked; a collector only as the "
    "clip's regeneration's child, with the submission read from the ledger",
    old="both trusted as given",
    retire="when no open run predates it",
)
COLLECTOR_BACKEND_QUEUES = Patch(
    "collector-backend-queues",
    new="the late collector waits and stores on the backend's queue",
    old="both on the main queue, store local",
    retire="when no open collector predates it",
)
CONVERSATION_ANSWERS = Patch(
    "conversation-answers-current-plan",
    new="a cancelled plan's result carries the plan that was cancelled (the last revision), "
    "revise answers with its own expiry, and Temporal's cancel of a pending plan ends it "
    "like the cancel Update (completed, status cancelled)",
    old="the result carries revision 1, and a Temporal cancel ends the run CANCELED",
    retire="when no open run predates it and no kept history lacks its marker",
)
BATCH_BUSY_AT_PLANNING = Patch(
    "batch-busy-at-planning",
    new="a batch asks which of its clips have an open regeneration before planning, marks "
    "them busy in the plan and leaves them out of its total",
    old="a busy clip is planned, counted, and found busy only when its child starts",
    retire="when no open batch predates it and no kept batch history lacks its marker",
)
CONTINUITY = Patch(
    "neighbour-frame-continuity",
    new="continuity asked (option or words) loads the neighbours' frames before planning, "
    "and the frames are sent, cut around and saved with the version",
    old="no continuity: the plan never loads frames",
    retire="when no open run predates it",
)
NOTIFY = Patch(
    "notify-url",
    new="a regeneration with options.notify_url pushes completed or failed when it ends",
    old="no pushes",
    retire="when no open run predates it",
)
SPEND_IN_PLAN = Patch(
    "spend-in-plan",
    new="a plan asks Veo for sound only when options.generate_audio or the worker's "
    "RETAKE_VEO_GENERATE_AUDIO does, is priced accordingly and shows what is left of each "
    "budget; a confirm that no longer fits is refused (BudgetExceeded), a batch as a whole",
    old="every plan asks for sound at the price with audio; budgets are checked only where "
    "the submission is reserved",
    retire="when no open run predates it",
)
EXPIRY_WARNING = Patch(
    "plan-expiring-soon",
    new="a confirm-first plan with options.notify_url pushes plan_expiring_soon shortly "
    "before it expires",
    old="no push before a plan expires",
    retire="when no open run predates it",
)
STORE_IN_CHECK = Patch(
    "store-in-final-check",
    new="the status check that finds the video done stores it from the same answer (one "
    "fetch, no store task); a crash mid-store re-checks and stores again, paying nothing",
    old="the store step fetches the finished operation again on its own task",
    retire="when no open run predates it",
)

ALL: tuple[Patch, ...] = (
    DECIDED_FIRST,
    OWNS_CONVENTIONS,
    VEO_CATALOGUE,
    STEP_BUDGET,
    RESET_PROOF_ID,
    LATE_COLLECTION,
    BACKEND_QUEUES,
    TRANSIENT_RESUBMIT,
    COLLECTOR_BACKEND_QUEUES,
    INTERNAL_INPUTS,
    CONVERSATION_ANSWERS,
    BATCH_BUSY_AT_PLANNING,
    CONTINUITY,
    NOTIFY,
    SPEND_IN_PLAN,
    EXPIRY_WARNING,
    STORE_IN_CHECK,
)

# What each workflow decides up front, in the order the decisions are recorded.
REGENERATION = (
    OWNS_CONVENTIONS, VEO_CATALOGUE, STEP_BUDGET, RESET_PROOF_ID, BACKEND_QUEUES,
    TRANSIENT_RESUBMIT, LATE_COLLECTION, CONVERSATION_ANSWERS, INTERNAL_INPUTS, CONTINUITY,
    NOTIFY, SPEND_IN_PLAN, EXPIRY_WARNING, STORE_IN_CHECK,
)
BATCH = (STEP_BUDGET, BATCH_BUSY_AT_PLANNING, SPEND_IN_PLAN)
LATE_COLLECTOR = (COLLECTOR_BACKEND_QUEUES, STEP_BUDGET, INTERNAL_INPUTS)
VERSIONS = (STEP_BUDGET,)


def decide_first(patches: Sequence[Patch]) -> None:
    """Take every decision of `patches` now: call before the workflow's first local activity.

    Behind DECIDED_FIRST, so histories recorded before it replay their lazy decisions.
    """
    if workflow.patched(DECIDED_FIRST.id):
        for patch in patches:
            workflow.patched(patch.id)


def applies(patch: Patch) -> bool:
    """The run's decision for `patch` (taken by `decide_first` in runs recorded with it)."""
    return workflow.patched(patch.id)


def markdown_table() -> str:
    """The patch list as docs/operations.md shows it (checked by tests/test_patches.py)."""
    rows = ["| patch | new runs | older histories replay | retire |", "|---|---|---|---|"]
    rows += [f"| `{p.id}` | {p.new} | {p.old} | {p.retire} |" for p in ALL]
    return "\n".join(rows)
