"""Named timeouts and retry policies, shared by every workflow's steps.

One place, so a timeout has one value and one reason (temporal-ai-agent's
`workflow_helpers.py` keeps them beside the shared step calls the same way).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

import workflows.error_types as error_types

# Never retried: a retry cannot fix these.
NON_RETRYABLE = [
    error_types.INVALID_INPUT,
    error_types.JOB_NOT_FOUND,
    error_types.STAGE_MISSING,
    error_types.CLIP_NOT_FOUND,
    error_types.INVALID_METADATA,
    error_types.PROVIDER_AUTH,
    error_types.PROVIDER_BAD_REQUEST,
    error_types.PROVIDER_NOT_FOUND,
    error_types.PROVIDER_QUOTA_EXHAUSTED,  # OpenAI 429 insufficient_quota: pay, then retry
    error_types.CONTENT_FILTERED,
    error_types.BUDGET_EXCEEDED,
]
SHORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=15),
    non_retryable_error_types=NON_RETRYABLE,
)
STEP_BUDGET = timedelta(minutes=10)  # how long a step may keep retrying a transient fault
# Network activities heartbeat (activities/heartbeat.py): a crashed worker's attempt is
# retried after this, not after the start-to-close timeout.
HEARTBEAT = timedelta(seconds=10)

DATABASE_STEP = timedelta(seconds=30)  # one attempt of a Postgres read or write
PLANNER_STEP = timedelta(seconds=90)  # one GPT call, with the SDK's own retries inside
BACKEND_LOOKUP = timedelta(seconds=10)  # which video backend this worker runs (no I/O)
SUBMIT_ATTEMPT = timedelta(seconds=120)  # reserve in the ledger, then Veo's accepting POST
STATUS_CHECK = timedelta(seconds=60)  # one status request per attempt (infrequent polling)
STORE_ATTEMPT = timedelta(minutes=5)  # stream a finished video to the store, cut it
FIND_SUBMISSION = timedelta(minutes=3)  # the late collector's ledger read
LATE_WAIT_BUDGET = timedelta(hours=6)  # far beyond any Veo job: then the video is gone

# How the store step is scheduled when it runs on the backend's queue (the regeneration
# and the late collector add the queue; benchmarks/bench_store.py schedules it the same way).
STORE_STEP_OPTIONS = dict(
    start_to_close_timeout=STORE_ATTEMPT,
    heartbeat_timeout=HEARTBEAT,
    schedule_to_close_timeout=STEP_BUDGET,
    retry_policy=SHORT_RETRY,
    summary="store video",
)


def poll_retry(poll: timedelta) -> RetryPolicy:
    """Waiting is Temporal's infrequent-polling pattern: one status check per attempt, and
    the retry interval is the poll interval, so no worker slot is held between checks."""
    return RetryPolicy(
        initial_interval=poll,
        backoff_coefficient=1.0,
        maximum_interval=poll,
        non_retryable_error_types=NON_RETRYABLE,
    )


def attempts_within(budget: timedelta, timeout: timedelta, policy: RetryPolicy) -> int:
    """How many attempts start within `budget` if each one runs to its timeout, then backs off."""
    attempts, elapsed, interval = 1, timeout, policy.initial_interval
    while True:
        elapsed += interval
        if elapsed >= budget:
            return attempts
        attempts += 1
        elapsed += timeout
        interval = min(interval * policy.backoff_coefficient, policy.maximum_interval)
