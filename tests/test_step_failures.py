"""How a failed step reaches the caller (workflows/step_failures.py), pure, no server: the
errors are built as the SDK builds them for a failed activity, and the translation read
field by field. tests/test_workflow_step_budget.py runs the same on the dev server."""

from __future__ import annotations

import pytest
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    RetryState,
    TimeoutError,
    TimeoutType,
)

from workflows import error_types
from workflows.step_failures import (
    STEP_NAMES,
    deadline_passed,
    step_name,
    step_timed_out,
    typed_step_failure,
)

AFTER = ("Nothing was saved and the original clip is unchanged. Check the service that step "
         "needs (Postgres, OpenAI, Veo or the video store), then start the regeneration again.")


def failed(activity: str, cause: BaseException | None, retry_state=RetryState.NON_RETRYABLE_FAILURE
           ) -> ActivityError:
    err = ActivityError("Activity task failed", scheduled_event_id=5, started_event_id=6,
                        identity="worker", activity_type=activity, activity_id="1",
                        retry_state=retry_state)
    err.__cause__ = cause
    return err


def timed_out(kind: TimeoutType | None, last: BaseException | None = None) -> TimeoutError:
    err = TimeoutError("activity timeout", type=kind, last_heartbeat_details=[])
    err.__cause__ = last
    return err


def test_every_activity_has_readmes_step_name_and_others_keep_theirs():
    assert step_name("load_clip_context") == "load context"
    assert step_name("suggest_prompt") == "ask planner"
    assert step_name("submit_generation") == "submit"
    assert step_name("wait_for_generation") == "wait"
    assert step_name("store_generated_video") == "store video"
    assert step_name("persist_clip_version") == "persist version"
    assert len(STEP_NAMES) == 6
    assert step_name("load_neighbour_frames") == "load_neighbour_frames"


def test_step_timed_out_names_the_step_what_ran_out_and_the_last_fault():
    last = ApplicationError("pool exhausted", type="DatabaseUnavailable")
    err = step_timed_out("persist version", "retries", last)
    assert err.type == error_types.STEP_TIMED_OUT and err.non_retryable
    assert err.message == (
        "The 'persist version' step ran out of retries and was given up. The last attempt "
        f"failed with DatabaseUnavailable: pool exhausted {AFTER}")
    assert err.details == ({"step": "persist version",
                            "last_failure_type": "DatabaseUnavailable"},)
    bare = step_timed_out("wait", "time")
    assert bare.message == f"The 'wait' step ran out of time and was given up. {AFTER}"
    assert bare.details == ({"step": "wait", "last_failure_type": None},)
    assert bare.type == error_types.STEP_TIMED_OUT and bare.non_retryable


@pytest.mark.parametrize("kind, shown", [
    (TimeoutType.START_TO_CLOSE, "start-to-close"),
    (TimeoutType.SCHEDULE_TO_CLOSE, "schedule-to-close"),
    (TimeoutType.HEARTBEAT, "heartbeat"),
    (None, "unknown"),
])
def test_a_timed_out_step_is_step_timed_out_naming_the_timeout(kind, shown):
    err = typed_step_failure(failed("persist_clip_version", timed_out(kind)))
    assert err.type == error_types.STEP_TIMED_OUT and err.non_retryable
    assert err.message.startswith(
        f"The 'persist version' step ran out of time ({shown} timeout) and was given up. "
        "Nothing was saved")
    assert err.details == ({"step": "persist version", "last_failure_type": None},)


def test_a_timeout_keeps_the_last_attempts_fault_only_when_typed():
    last = ApplicationError("connection refused", type="DatabaseUnavailable")
    err = typed_step_failure(failed("load_clip_context",
                                    timed_out(TimeoutType.SCHEDULE_TO_CLOSE, last)))
    assert "failed with DatabaseUnavailable: connection refused" in err.message
    assert err.details[0]["last_failure_type"] == "DatabaseUnavailable"
    err = typed_step_failure(failed("load_clip_context",
                                    timed_out(TimeoutType.SCHEDULE_TO_CLOSE, CancelledError("x"))))
    assert err.details[0]["last_failure_type"] is None and "failed with" not in err.message


@pytest.mark.parametrize("state", [RetryState.TIMEOUT, RetryState.MAXIMUM_ATTEMPTS_REACHED])
def test_a_retryable_fault_past_the_retry_budget_is_step_timed_out(state):
    fault = ApplicationError("busy", type="VeoUnavailable")
    err = typed_step_failure(failed("submit_generation", fault, state))
    assert err.type == error_types.STEP_TIMED_OUT and err.non_retryable
    assert err.message.startswith(
        "The 'submit' step ran out of retries (its retry budget is spent) and was given up. "
        "The last attempt failed with VeoUnavailable: busy ")
    assert err.details == ({"step": "submit", "last_failure_type": "VeoUnavailable"},)


@pytest.mark.parametrize("state", [RetryState.NON_RETRYABLE_FAILURE, RetryState.IN_PROGRESS,
                                   RetryState.CANCEL_REQUESTED, None])
def test_a_typed_error_is_passed_on_as_it_is(state):
    fault = ApplicationError("no such clip", {"clip": 3}, "more", type="ClipNotFound",
                             non_retryable=True)
    err = typed_step_failure(failed("load_clip_context", fault, state))
    assert err is not fault
    assert (err.message, err.details, err.type, err.non_retryable) == (
        "no such clip", ({"clip": 3}, "more"), "ClipNotFound", True)
    retryable = ApplicationError("try later", type="Busy")
    err = typed_step_failure(failed("load_clip_context", retryable, state))
    assert (err.message, err.details, err.type, err.non_retryable) == (
        "try later", (), "Busy", False)


def test_a_non_retryable_error_stays_itself_even_out_of_retries():
    fault = ApplicationError("refused", type="ContentFiltered", non_retryable=True)
    err = typed_step_failure(failed("submit_generation", fault, RetryState.MAXIMUM_ATTEMPTS_REACHED))
    assert err.type == "ContentFiltered" and err.non_retryable and err.message == "refused"


def test_any_other_cause_is_not_a_step_failure():
    assert typed_step_failure(failed("wait_for_generation", CancelledError("cancelled"))) is None
    assert typed_step_failure(failed("wait_for_generation", None)) is None


def test_a_passed_deadline_names_the_collector_that_keeps_the_paid_video():
    err = deadline_passed(3, 900.4, "ops/1", "collect-late-run-1")
    assert err.type == error_types.GENERATION_TIMED_OUT and err.non_retryable
    assert err.message == (
        "Veo did not finish clip 3 within the 900 s deadline (operation ops/1). It is paid "
        "for: workflow collect-late-run-1 collects it and saves it as a version of clip 3 "
        "that is not current (its result, and this workflow's progress query, say which). "
        "Start the regeneration again or raise options.deadline_seconds.")
    assert err.details == ({"late_collection_workflow_id": "collect-late-run-1"},)
    alone = deadline_passed(0, 60, "ops/2", None)
    assert alone.message == (
        "Veo did not finish clip 0 within the 60 s deadline (operation ops/2). Start the "
        "regeneration again or raise options.deadline_seconds.")
    assert alone.details == (None,) and alone.type == error_types.GENERATION_TIMED_OUT
    assert alone.non_retryable
