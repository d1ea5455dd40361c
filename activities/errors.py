"""Provider and SDK errors -> typed Temporal ApplicationErrors, in one place.

Bad input, missing data, auth failures and filtered content are non-retryable: a
retry cannot fix them, and retrying a paid call is a cost. Rate limits, 5xx,
timeouts and connection faults are retryable; a provider's Retry-After becomes the
next retry delay. Messages say what was wrong and what to do, and never carry a
key: `redact` scrubs anything that looks like one before it leaves an activity.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx2 as httpx  # the HTTP library under both openai and google-genai
from temporalio.exceptions import ApplicationError

from workflows.error_types import (
    PROVIDER_AUTH,
    PROVIDER_BAD_REQUEST,
    PROVIDER_NOT_FOUND,
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
    """Remove known secret values and anything shaped like an API key."""
    for secret in secrets or []:
        if secret:
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
    delay = timedelta(seconds=retry_after) if retry_after and retry_after > 0 else None
    return ApplicationError(redact(message), type=type_, next_retry_delay=delay)


def parse_retry_after(headers: httpx.Headers | dict | None) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header; None when absent or a date."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return float(value)
        except ValueError:
            return None
    return None


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


def from_openai_error(exc: Exception, secrets: list[str | None] | None = None) -> ApplicationError:
    """Map an `openai` SDK exception to a typed ApplicationError."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return from_http_status(
            "OpenAI",
            exc.status_code,
            str(getattr(exc, "message", exc)),
            parse_retry_after(exc.response.headers if exc.response is not None else None),
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
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        return from_http_status(
            "Vertex Veo",
            int(exc.code or 500),
            str(exc.message or exc.status or "error"),
            parse_retry_after(headers),
            secrets,
        )
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
