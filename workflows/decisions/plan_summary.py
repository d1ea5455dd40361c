"""The one line a chatbot shows the user for a plan, as is: what changes, how much, what
it costs, and what was left out. Made from the plan alone, so every planner gets one."""

from __future__ import annotations

from decimal import Decimal

from workflows.decisions.spend import budget_refusal, budgets_line
from workflows.decisions.temperature import band_of
from workflows.models import UnappliedPart
from workflows.spend_models import BudgetLeft

_HOW_MUCH = {
    "very_low": "a tiny change, same seed",
    "low": "a small change, same seed",
    "medium_low": "a small change",
    "moderate": "a moderate change",
    "medium_high": "a clear change",
    "high": "a big change",
}
_WHY = {
    "not_expressed": "not applied",
    "other_language": "not read (another language)",
    "instructions_to_system": "ignored (reads as instructions to the system)",
}


def plan_summary(
    instruction: str, *, temperature: float, seed_reused: bool, generated_seconds: int,
    cost_estimate_usd: Decimal, unapplied: list[UnappliedPart], generate_audio: bool = True,
    budgets: list[BudgetLeft] | None = None,
) -> str:
    """E.g. 'Regenerate with "make it a bit brighter": a small change, same seed; 8 s of
    video for about $3.20.' plus what was not applied."""
    band = band_of(temperature) or ""
    how = _HOW_MUCH.get(band, "a change")
    if not seed_reused:
        how = how.replace(", same seed", "")
    asked = _short(" ".join(instruction.split()), 80)
    sound = "" if generate_audio else " (no sound)"
    line = (f'Regenerate with "{asked}": {how}; {generated_seconds} s of video{sound} for '
            f"about ${cost_estimate_usd:.2f}.")
    if unapplied:
        left = "; ".join(f'"{_short(p.text, 40)}" {_WHY[p.reason]}' for p in unapplied[:3])
        more = f" (+{len(unapplied) - 3} more)" if len(unapplied) > 3 else ""
        line += f" Left out: {left}{more}."
    if budgets:
        refusal = budget_refusal(cost_estimate_usd, budgets, what="This plan")
        line += " " + (budgets_line(budgets) if refusal is None
                       else refusal.removesuffix(" Nothing was paid."))
    return line


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
