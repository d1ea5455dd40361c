"""Money in the plan (issue 26), pure: whether Veo is asked for sound, and whether a cost
still fits every budget. The door that pays checks again (activities/video/budgets.py);
these rules let the conversation say so before the user confirms."""

from __future__ import annotations

from decimal import Decimal

from workflows.spend_models import BudgetLeft


def wants_audio(option: bool | None, worker_default: bool) -> bool:
    """options.generate_audio when the caller set it, else the worker's setting. The music
    video's composer lays the song over the clips and drops their sound, so sound is off
    unless asked for."""
    return worker_default if option is None else option


def budget_refusal(cost: Decimal, budgets: list[BudgetLeft], *, what: str) -> str | None:
    """Why `what` costing `cost` does not fit (naming the budget, what is left and when it
    resets), or None when every budget has room."""
    for budget in budgets:
        if cost > budget.left_usd:
            resets = (f"it resets at {budget.resets_at:%Y-%m-%d %H:%M} UTC"
                      if budget.resets_at else "it does not reset: raise it to spend more")
            return (f"{what} costs ${cost} and would exceed {budget.name}: ${budget.left_usd} "
                    f"of ${budget.limit_usd} is left; {resets}. Nothing was paid.")
    return None


def budgets_line(budgets: list[BudgetLeft]) -> str:
    """One clause for the plan's summary: what is left of each budget."""
    if not budgets:
        return ""
    return "Budget left: " + "; ".join(
        f"${b.left_usd} of ${b.limit_usd} ({b.name.split(' ')[0]})" for b in budgets) + "."
