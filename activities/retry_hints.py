"""A provider's "retry later" hint -> a bounded delay in seconds, or None. Never raises.

Two shapes arrive (docs/operations.md, "Provider faults"):
- OpenAI: `retry-after-ms` (milliseconds), then `retry-after` as seconds or an HTTP-date
  (RFC 9110 §10.2.3), read in that order, as openai-python's
  `_base_client._parse_retry_after_header` does.
- Vertex AI: no header; the body's `error.details[]` may hold a `google.rpc.RetryInfo`
  whose `retryDelay` is a protobuf JSON Duration ("2.5s").

Both are total: any string (or garbage object) gives a delay in (0, MAX_RETRY_DELAY]
or None. A huge hint is capped rather than trusted, `inf`/`nan`/negative/unparseable
give None (the retry policy's own back-off then applies).
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any

# The longest a server hint may delay one retry: the workflow's step budget is 10 minutes,
# so a capped hint still leaves room for several attempts.
MAX_RETRY_DELAY = 120.0

_DURATION_RE = re.compile(r"\s*(-?\d+(?:\.\d+)?)s\s*")  # protobuf JSON Duration
_RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"


def bounded(seconds: float | None) -> float | None:
    """A finite positive delay, capped at MAX_RETRY_DELAY; None for anything else."""
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return min(seconds, MAX_RETRY_DELAY)


def _number(text: object, scale: float = 1.0) -> float | None:
    try:
        return bounded(float(str(text).strip()) * scale)
    except (ValueError, OverflowError):
        return None


def _http_date(text: str, now: float | None = None) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except Exception:  # the stdlib parser raises several types on odd input
        return None
    if when is None or when.tzinfo is None:
        return None
    try:
        return bounded(when.timestamp() - (time.time() if now is None else now))
    except (OverflowError, ValueError, OSError):
        return None


def retry_after_seconds(headers: Mapping[str, Any] | None, now: float | None = None) -> float | None:
    """OpenAI's hint: retry-after-ms, else retry-after (seconds, else an HTTP-date)."""
    if not headers:
        return None
    try:
        ms, value = headers.get("retry-after-ms"), headers.get("retry-after")
    except Exception:  # an odd mapping: no hint rather than an untyped failure
        return None
    if ms is not None:
        delay = _number(ms, 1 / 1000)
        if delay is not None:
            return delay
    if value is None:
        return None
    return _number(value) if _looks_numeric(str(value)) else _http_date(str(value), now)


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[-+]?[\d.eE+-]+\s*|\s*[-+]?(?i:inf(inity)?|nan)\s*", text))


def retry_delay_seconds(duration: object) -> float | None:
    """A protobuf JSON Duration ("2.5s") as a bounded delay; None if it is not one."""
    match = _DURATION_RE.fullmatch(duration) if isinstance(duration, str) else None
    return _number(match.group(1)) if match else None


def retry_info_seconds(body: object) -> float | None:
    """RetryInfo.retryDelay from a google.rpc.Status body ({"error": {"details": [...]}})."""
    for detail in google_error_details(body):
        if detail.get("@type") == _RETRY_INFO_TYPE:
            return retry_delay_seconds(detail.get("retryDelay"))
    return None


def google_error_details(body: object) -> list[dict]:
    """The `details` list of a Google error body, tolerating any shape."""
    error = body.get("error", body) if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []
