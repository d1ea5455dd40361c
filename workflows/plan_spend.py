"""Money in the conversation (issue 26, patch spend-in-plan), shared by the single-clip
and the batch workflow: what a plan is told about sound and budgets, and the re-check a
confirmation gets. The reservation that pays checks again in its own transaction
(activities/video/budgets.py): these only let the user hear it before confirming."""

from __future__ import annotations

from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import workflows.error_types as error_types
    import workflows.patches as patches
    import workflows.steps as steps
    from workflows.decisions.spend import budget_refusal
    from workflows.spend_models import SpendTerms


async def terms_for(job_id, account_id: str | None) -> SpendTerms:
    """The worker's sound default and the budgets left; in histories recorded before the
    patch, sound on and no budgets shown (as those plans were made)."""
    if not patches.applies(patches.SPEND_IN_PLAN):
        return SpendTerms(generate_audio_default=True)
    return await steps.spend_terms(job_id, account_id, summary="read budgets")


async def refuse_unless_it_fits(job_id, account_id: str | None, cost: Decimal, *,
                                what: str, shown_budgets: bool) -> None:
    """At confirm: BudgetExceeded (nothing paid, the plan still waiting) when `cost` no
    longer fits what is left now. Read only when the plan showed budgets (some are set)."""
    if not shown_budgets or not patches.applies(patches.SPEND_IN_PLAN):
        return
    terms = await steps.spend_terms(job_id, account_id, summary="re-check budgets")
    refusal = budget_refusal(cost, terms.budgets, what=what)
    if refusal is not None:
        raise ApplicationError(refusal + " The plan still waits: cancel it, or ask for a "
                               "shorter or cheaper one.", type=error_types.BUDGET_EXCEEDED,
                               non_retryable=True)
