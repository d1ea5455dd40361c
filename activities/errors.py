"""Provider and SDK errors -> typed Temporal ApplicationErrors, in one place.

Bad input, missing data, auth failures, exhausted quotas and filtered content are
non-retryable: a retry cannot fix them, and retrying a paid call is a cost. Rate
limits, 5xx, timeouts and connection faults are retryable; the provider's hint
(OpenAI's retry-after-ms / Retry-After, Vertex's RetryInfo.retryDelay; parsed in
retry_hints.py, capped) becomes the next retry delay. docs/operations.md has the
whole fault table. Messages say what was wrong and what to do, and never carry a
key: `redact` scrubs anything that looks like one before it leaves an activity.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx2 as httpx  # the HTTP library under both openai and google-genai
from temporalio.exceptions import ApplicationError

from activities.retry_hints import (
    bounded,
    google_error_details,
    retry_after_seconds,
    retry_info_seconds,
)
from workflows.error_types import (
    PROVIDER_AUTH,
    PROVIDER_BAD_REQUEST,
    PROVIDER_NOT_FOUND,
    PROVIDER_QUOTA_EXHAUSTED,
    PROVIDER_RATE_LIMITED,
    PROVIDER_UNAVAILABLE,
    SUBMISSION_OUTCOME_UNKNOWN,
)

# Failures that show a request was NOT accepted: it never left (no connection, a write
# cut short: the provider ignores an incomplete request). Anything else while submitting
# (a read timeout or reset after sending, an answer that cannot be read) may hide an
# accepted, charged job: its outcome is unknown.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.UnsupportedProtocol,
)

_SECRET_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{20,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|key|token)=)[^&\s\"']+"),
]


def redact(text: str, secrets: list[str | None] | None = None) -> str:
    """Remove known secret values and anything shaped like an API key. The longest secret
    goes first: one that holds another (a password that holds a shorter API key) would
    otherwise lose only the shorter one's part and show the rest."""
    for secret in sorted({s for s in secrets or [] if s}, key=lambda s: (-len(s), s)):
        text = text.replace(secret, "[redacted]")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(
            lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text
        )
    return text


def non_retryable(message: str, type_: str, **details: object) -> ApplicationError:
    return ApplicationError(redact(message), details or None, type=type_, non_retryable=True)


def retryable(
    message: str, type_: str, retry_after: float | None = None
) -> ApplicationError:
    delay = bounded(retry_after)  # never a delay of years, never an OverflowError
    return ApplicationError(
        redact(message), type=type_, next_retry_delay=timedelta(seconds=delay) if delay else None
    )


def from_http_status(
    provider: str,
    status: int,
    detail: str,
    retry_after: float | None = None,
    secrets: list[str | None] | None = None,
) -> ApplicationError:
    """The one status-code policy both providers share."""
    detail = redact(detail, secrets)[:500]
    if status in (401, 403):
        return non_retryable(
            f"{provider} rejected the credentials (HTTP {status}): {detail}. "
            "Check the API key or service account the worker is configured with.",
            PROVIDER_AUTH,
        )
    if status == 404:
        return non_retryable(
            f"{provider} did not find the resource (HTTP 404): {detail}. "
            "Check the model name and the endpoint/region settings.",
            PROVIDER_NOT_FOUND,
        )
    if status == 429:
        return retryable(
            f"{provider} rate-limited the request (HTTP 429): {detail}. Retrying.",
            PROVIDER_RATE_LIMITED,
            retry_after,
        )
    if status >= 500 or status in (408, 409):
        return retryable(
            f"{provider} is unavailable (HTTP {status}): {detail}. Retrying.",
            PROVIDER_UNAVAILABLE,
            retry_after,
        )
    return non_retryable(
        f"{provider} refused the request as invalid (HTTP {status}): {detail}. "
        "Fix the request; retrying it unchanged will not help.",
        PROVIDER_BAD_REQUEST,
    )


def from_openai_error(
    exc: Exception, secrets: list[str | None] | None = None, model: str | None = None
) -> ApplicationError:
    """Map an `openai` SDK exception to a typed ApplicationError (`model`: OPENAI_MODEL)."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        detail = redact(str(getattr(exc, "message", exc)), secrets)[:500]
        # 429 insufficient_quota: billing or credits exhausted, no retry hint; waiting
        # will not refill it (https://platform.openai.com/docs/guides/error-codes).
        if exc.status_code == 429 and exc.code == "insufficient_quota":
            return non_retryable(
                f"OpenAI says this account's quota is exhausted (HTTP 429 insufficient_quota): "
                f"{detail}. Add credits or raise the spending limit for the OPENAI_API_KEY's "
                "project (platform.openai.com, Billing), or unset OPENAI_API_KEY to use the "
                "offline planner; retrying will not help until then.",
                PROVIDER_QUOTA_EXHAUSTED,
            )
        if exc.status_code == 404 and exc.code == "model_not_found":
            return non_retryable(
                f"OpenAI has no model {model!r} for this key (HTTP 404 model_not_found): "
                f"{detail}. Set OPENAI_MODEL to a model the key can use (the model may have "
                "been shut down).",
                PROVIDER_NOT_FOUND,
            )
        return from_http_status(
            "OpenAI",
            exc.status_code,
            detail,
            retry_after_seconds(exc.response.headers if exc.response is not None else None),
            secrets,
        )
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return retryable(
            f"OpenAI could not be reached ({type(exc).__name__}). Retrying.",
            PROVIDER_UNAVAILABLE,
        )
    return retryable(
        f"OpenAI call failed unexpectedly: {redact(str(exc), secrets)[:300]}",
        PROVIDER_UNAVAILABLE,
    )


def from_genai_error(exc: Exception, secrets: list[str | None] | None = None) -> ApplicationError:
    """Map a `google.genai` (Vertex) exception or transport fault to a typed error."""
    from google.genai import errors as genai_errors

    if isinstance(exc, genai_errors.APIError):
        code, detail = int(exc.code or 500), str(exc.message or exc.status or "error")
        reasons = {d.get("reason") for d in google_error_details(exc.details)}
        # A bad key is 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID
        # (public reports cited in tests/emulators/README.md, KEYERR): an auth failure.
        if "API_KEY_INVALID" in reasons:
            return non_retryable(
                f"Vertex AI rejected the API key (HTTP {code} API_KEY_INVALID): "
                f"{redact(detail, secrets)[:300]}. Check GOOGLE_API_KEY, or use a service "
                "account (GOOGLE_APPLICATION_CREDENTIALS with GOOGLE_CLOUD_PROJECT).",
                PROVIDER_AUTH,
            )
        # Vertex sends no Retry-After; its hint is the body's RetryInfo.retryDelay
        # (https://cloud.google.com/apis/design/errors#error_details).
        hint = retry_info_seconds(exc.details)
        if hint is None:
            headers = getattr(getattr(exc, "response", None), "headers", None)
            hint = retry_after_seconds(headers)
        return from_http_status("Vertex Veo", code, detail, hint, secrets)
    if isinstance(exc, (httpx.TimeoutException, httpx.TransportError, TimeoutError, ConnectionError)):
        return retryable(
            f"Vertex Veo could not be reached ({type(exc).__name__}). Retrying.",
            PROVIDER_UNAVAILABLE,
        )
    return retryable(
        f"Vertex Veo call failed unexpectedly: {redact(str(exc), secrets)[:300]}",
        PROVIDER_UNAVAILABLE,
    )


def request_may_have_arrived(exc: BaseException) -> bool:
    """True unless the failure shows the request was refused or never sent: an HTTP error
    answer (the provider refused it) or a failure before the request left."""
    from google.genai import errors as genai_errors

    return not isinstance(exc, (genai_errors.APIError, *_NOT_SENT))


def submission_outcome_unknown(provider: str, exc: BaseException) -> ApplicationError:
    """Retryable; the submit activity decides (RETAKE_UNCLEAR_SUBMIT) whether to resubmit."""
    return retryable(
        f"{provider} may have accepted the submission, but its answer was lost "
        f"({type(exc).__name__}). Whether it was charged is unknown.",
        SUBMISSION_OUTCOME_UNKNOWN,
    )


def from_google_auth_error(exc: Exception) -> ApplicationError:
    """A google-auth failure (token refresh, ADC) follows google-auth's own `retryable` flag.

    google/oauth2/_client.py `_can_retry` marks token-endpoint answers retryable for the
    statuses in google.auth.transport.DEFAULT_RETRYABLE_STATUS_CODES and for OAuth errors
    `internal_failure` / `server_error` / `temporarily_unavailable`; `invalid_grant` and
    missing credentials are not. A TransportError (the token endpoint or metadata server
    could not be reached) is an I/O fault and stays retryable even when unflagged.
    """
    from google.auth import exceptions as google_auth_errors

    name = type(exc).__name__
    if getattr(exc, "retryable", False) or isinstance(exc, google_auth_errors.TransportError):
        return retryable(
            f"Google's token service failed transiently ({name}). Retrying.",
            PROVIDER_UNAVAILABLE,
        )
    return non_retryable(
        f"Google credentials for Vertex AI are missing or were refused ({name}). Set "
        "GOOGLE_APPLICATION_CREDENTIALS to a key file of a service account with Vertex AI "
        "access in GOOGLE_CLOUD_PROJECT.",
        PROVIDER_AUTH,
    )
