"""Error type names: the workflow, the activities, tests and the chatbot backend match on these.

Pure constants, importable inside the workflow sandbox and by activities alike.
"""

INVALID_INPUT = "InvalidInput"
JOB_NOT_FOUND = "JobNotFound"
STAGE_MISSING = "StageMissing"
CLIP_NOT_FOUND = "ClipNotFound"
INVALID_METADATA = "InvalidMetadata"
DATABASE_UNAVAILABLE = "DatabaseUnavailable"  # retryable: Postgres could not be reached
PROVIDER_AUTH = "ProviderAuthFailed"
PROVIDER_BAD_REQUEST = "ProviderBadRequest"
PROVIDER_NOT_FOUND = "ProviderNotFound"
PROVIDER_RATE_LIMITED = "ProviderRateLimited"
PROVIDER_QUOTA_EXHAUSTED = "ProviderQuotaExhausted"  # billing/credits gone: waiting will not help
PROVIDER_UNAVAILABLE = "ProviderUnavailable"
CONTENT_FILTERED = "ContentFiltered"
GENERATION_FAILED = "GenerationFailed"
GENERATION_PENDING = "GenerationPending"  # the polling signal: retried on purpose
GENERATION_TIMED_OUT = "GenerationTimedOut"
STEP_TIMED_OUT = "StepTimedOut"  # a step ran out of time or retries (workflows/step_failures.py)
BUDGET_EXCEEDED = "BudgetExceeded"  # a generation would overrun a budget; nothing paid
PLAN_EXPIRED = "PlanExpired"  # a confirm-first plan was not confirmed in time; nothing paid
UPDATE_NOT_ALLOWED = "UpdateNotAllowed"  # an Update sent at the wrong moment (validator)
# Answers retake.client gives for a call on a run that has ended (the server refuses
# Updates on closed runs; the client reads what happened instead), and for a second plan.
PLAN_CANCELLED = "PlanCancelled"  # the plan was cancelled (Update or Temporal cancel); nothing paid
ALREADY_COMPLETED = "AlreadyCompleted"  # the regeneration finished; its result is attached
RUN_ENDED = "RunEnded"  # the run failed or was terminated: its failure says why
CLIP_BUSY = "ClipBusy"  # the clip has a regeneration (or a pending plan) already; attached
VERSION_NOT_FOUND = "VersionNotFound"  # revert to a version the clip does not have
# A submission whose outcome is unclear (the request may have reached Veo and been
# paid for, but its answer was lost). Retryable when RETAKE_UNCLEAR_SUBMIT=resubmit
# (the default; each resubmission is counted as a possible duplicate charge),
# non-retryable when RETAKE_UNCLEAR_SUBMIT=fail.
SUBMISSION_OUTCOME_UNKNOWN = "SubmissionOutcomeUnknown"
