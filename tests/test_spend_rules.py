"""The pure money rules a plan uses (workflows/decisions/spend.py) and the one line it
shows: sound only when asked, and a refusal that names the budget, what is left and when
it resets."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from workflows.decisions.plan_summary import plan_summary
from workflows.decisions.spend import budget_refusal, budgets_line, wants_audio
from workflows.spend_models import BudgetLeft

DAY = BudgetLeft(name="RETAKE_BUDGET_USD_PER_DAY (the whole deployment)",
                 limit_usd=Decimal("50.00"), left_usd=Decimal("2.40"),
                 resets_at=datetime(2026, 12, 6, tzinfo=UTC))
JOB = BudgetLeft(name="RETAKE_BUDGET_USD_PER_JOB (job j)", limit_usd=Decimal("10.00"),
                 left_usd=Decimal("9.00"))


@pytest.mark.parametrize(("option", "worker", "expected"), [
    (None, False, False), (None, True, True), (True, False, True), (False, True, False)])
def test_the_request_decides_sound_else_the_worker(option, worker, expected) -> None:
    assert wants_audio(option, worker) is expected


def test_a_cost_that_fits_every_budget_is_not_refused() -> None:
    assert budget_refusal(Decimal("2.40"), [DAY, JOB], what="This plan") is None  # exactly


def test_a_refusal_names_the_budget_what_is_left_and_when_it_resets() -> None:
    daily = budget_refusal(Decimal("2.41"), [JOB, DAY], what="This plan")
    assert daily.startswith("This plan costs $2.41 and would exceed RETAKE_BUDGET_USD_PER_DAY")
    assert "$2.40 of $50.00 is left; it resets at 2026-12-06 00:00 UTC" in daily
    per_job = budget_refusal(Decimal("9.50"), [JOB], what="The batch")
    assert "RETAKE_BUDGET_USD_PER_JOB" in per_job and "does not reset" in per_job


def test_the_summary_says_no_sound_and_what_is_left_or_that_it_does_not_fit() -> None:
    common = dict(temperature=0.6, seed_reused=False, generated_seconds=8, unapplied=[])
    fits = plan_summary("make it nighttime", cost_estimate_usd=Decimal("1.60"),
                        generate_audio=False, budgets=[JOB], **common)
    assert "8 s of video (no sound) for about $1.60." in fits
    assert fits.endswith("Budget left: $9.00 of $10.00 (RETAKE_BUDGET_USD_PER_JOB).")
    assert budgets_line([JOB, DAY]).endswith("; $2.40 of $50.00 (RETAKE_BUDGET_USD_PER_DAY).")
    over = plan_summary("make it nighttime", cost_estimate_usd=Decimal("3.20"),
                        generate_audio=True, budgets=[DAY], **common)
    assert "(no sound)" not in over and "would exceed RETAKE_BUDGET_USD_PER_DAY" in over
    assert "Nothing was paid" not in over  # a plan pays nothing yet: no such claim
    assert plan_summary("x", cost_estimate_usd=Decimal("3.20"), **common).endswith("$3.20.")
