"""How a failed step reaches the caller: always as a typed ApplicationError (README's list).

Pure: importable in the workflow sandbox and testable without a server. A step fails
either with a typed error of its own (passed on as it is), or because it ran out of
time or retries: a start-to-close, schedule-to-close or heartbeat timeout, or a
retryable fault that outlived the step's retry budget. Those become `StepTimedOut`,
naming the step, the last fault and what to do; the wait for Veo keeps its own
`GenerationTimedOut` (workflows/regenerate_clip.py `_wait`).
"""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, RetryState, TimeoutError

from workflows import error_types

# Activity name -> the step as README's architecture names it.
STEP_NAMES = {
    "load_clip_context": "load context",
    "suggest_prompt": "ask planner",
    "submit_generation": "submit",
    "wait_for_generation": "wait",
    "store_generated_video": "store video",
    "persist_clip_version": "persist version",
}


def step_name(activity_name: str) -> str:
    return STEP_NAMES.get(activity_name, activity_name)


_OUT_OF_RETRIES = (RetryState.TIMEOUT, RetryState.MAXIMUM_ATTEMPTS_REACHED)


def step_timed_out(step: str, why: str, last: ApplicationError | None = None) -> ApplicationError:
    """StepTimedOut for `step` (README's step name), which ran out of `why`."""
    fault = f" The last attempt failed with {last.type}: {last.message}" if last else ""
    return ApplicationError(
        f"The '{step}' step ran out of {why} and was given up.{fault} Nothing was saved and "
        "the original clip is unchanged. Check the service that step needs (Postgres, OpenAI, "
        "Veo or the video store), then start the regeneration again.",
        {"step": step, "last_failure_type": last.type if last else None},
        type=error_types.STEP_TIMED_OUT,
        non_retryable=True,
    )


def typed_step_failure(err: ActivityError) -> ApplicationError | None:
    """The typed error for a failed step, or None when the cause is not a step failure."""
    cause = err.cause
    if isinstance(cause, TimeoutError):
        last = cause.cause if isinstance(cause.cause, ApplicationError) else None
        kind = cause.type.name.lower().replace("_", "-") if cause.type else "unknown"
        return step_timed_out(step_name(err.activity_type), f"time ({kind} timeout)", last)
    if isinstance(cause, ApplicationError):
        if not cause.non_retryable and err.retry_state in _OUT_OF_RETRIES:
            return step_timed_out(
                step_name(err.activity_type), "retries (its retry budget is spent)", cause
            )
        return ApplicationError(
            cause.message, *cause.details, type=cause.type, non_retryable=cause.non_retryable
        )
    return None


def deadline_passed(clip_index: int, deadline_seconds: float, operation_name: str,
                    collector: str | None) -> ApplicationError:
    """GenerationTimedOut: the deadline bounds how long the caller waits, not whether the
    paid video is collected; the error names the collector that keeps it."""
    later = (
        f" It is paid for: workflow {collector} collects it and saves it as a version of "
        f"clip {clip_index} that is not current (its result, and this workflow's "
        "progress query, say which)."
        if collector
        else ""
    )
    return ApplicationError(
        f"Veo did not finish clip {clip_index} within the {deadline_seconds:.0f} s deadline "
        f"(operation {operation_name}).{later} Start the regeneration again or raise "
        "options.deadline_seconds.",
        {"late_collection_workflow_id": collector} if collector else None,
        type=error_types.GENERATION_TIMED_OUT,
        non_retryable=True,
    )
