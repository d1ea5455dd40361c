"""workflows/generation_attempts.py alone: what each Veo outcome means for the loop.

The patch decision is injected here (`resubmits`); inside a workflow it is the run's own
(tests/test_provider_faults_veo.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from temporalio.exceptions import ApplicationError

from workflows import error_types
from workflows.generation_attempts import FILTERED_RETRIES, GenerationAttempts, Next
from workflows.step_models import GenerationState, GenerationStatus, Plan, Submission

PLAN = Plan(prompt="a man with a knife at night", temperature=0.7, reasoning="r", seed=1,
            seed_reused=False, planner="offline", duration_seconds=8,
            cost_estimate_usd=Decimal("3.20"))


def status(state, **kw) -> GenerationStatus:
    return GenerationStatus(operation_name="op", state=state, **kw)


def test_success_ends_the_loop_and_keeps_the_status():
    attempts = GenerationAttempts(plan=PLAN, clip_index=3)
    attempts.submitted(Submission(operation_name="op", backend="veo"))
    done = status(GenerationState.SUCCEEDED, polls=4)
    assert attempts.after(done) is Next.DONE
    assert attempts.status is done and attempts.submissions == 1
    assert attempts.submission.operation_name == "op"
    assert (attempts.filtered_retries, attempts.transient_resubmissions) == (0, 0)


def test_a_filter_sanitises_once_then_fails_typed():
    attempts = GenerationAttempts(plan=PLAN, clip_index=3)
    filtered = status(GenerationState.FILTERED, filter_reasons=["violence"])
    assert FILTERED_RETRIES == 1
    assert attempts.after(filtered) is Next.SANITISED
    assert attempts.filtered_retries == 1 and attempts.plan.prompt != PLAN.prompt
    assert attempts.plan.seed == PLAN.seed  # only the prompt changes
    with pytest.raises(ApplicationError) as err:
        attempts.after(filtered)
    assert err.value.type == error_types.CONTENT_FILTERED and err.value.non_retryable
    assert "clip 3 twice" in err.value.message and "violence" in err.value.message


def test_a_filter_without_reasons_says_unspecified():
    attempts = GenerationAttempts(plan=PLAN, clip_index=0, filtered_retries=1)
    with pytest.raises(ApplicationError) as err:
        attempts.after(status(GenerationState.FILTERED))
    assert "unspecified" in err.value.message


def test_a_lasting_failure_is_typed_and_says_what_veo_said():
    attempts = GenerationAttempts(plan=PLAN, clip_index=5)
    with pytest.raises(ApplicationError) as err:  # code 3: not transient, no patch read
        attempts.after(status(GenerationState.FAILED, error_code=3, error_message="bad"))
    assert err.value.type == error_types.GENERATION_FAILED and err.value.non_retryable
    assert "clip 5 (code 3): bad" in err.value.message
    assert "resubmission" not in err.value.message
    spent = GenerationAttempts(plan=PLAN, clip_index=5, transient_resubmissions=1)
    with pytest.raises(ApplicationError) as err:
        spent.after(status(GenerationState.FAILED, error_code=14, error_message="busy"))
    assert "again after one resubmission" in err.value.message


def test_a_transient_failure_is_resubmitted_once_where_the_run_resubmits():
    failed = status(GenerationState.FAILED, error_code=14, error_message="unavailable")
    attempts = GenerationAttempts(plan=PLAN, clip_index=1, resubmits=lambda: True)
    assert attempts.after(failed) is Next.RESUBMIT and attempts.transient_resubmissions == 1
    assert attempts.plan == PLAN  # the same plan again
    with pytest.raises(ApplicationError) as err:
        attempts.after(failed)
    assert "again after one resubmission" in err.value.message
    old_run = GenerationAttempts(plan=PLAN, clip_index=1, resubmits=lambda: False)
    with pytest.raises(ApplicationError):  # a history from before the resubmission patch
        old_run.after(failed)
    lasting = GenerationAttempts(plan=PLAN, clip_index=1, resubmits=lambda: True)
    with pytest.raises(ApplicationError):  # code 3 is about the request: never resubmitted
        lasting.after(status(GenerationState.FAILED, error_code=3, error_message="bad"))
