"""Retry-After and RetryInfo parsing are total (issue 12): any string -> a bounded delay or None."""

from __future__ import annotations

import email.utils
import math

from hypothesis import given
from hypothesis import strategies as st

from activities.errors import retryable
from activities.retry_hints import (
    MAX_RETRY_DELAY,
    retry_after_seconds,
    retry_delay_seconds,
    retry_info_seconds,
)

NOW = 1_750_000_000.0


def assert_bounded(delay: float | None) -> None:
    assert delay is None or (math.isfinite(delay) and 0 < delay <= MAX_RETRY_DELAY)


_numberish = st.one_of(
    st.text(),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.sampled_from(["inf", "-inf", "nan", "1e20", "1e400", "-5", "0", " 3 ", "1_0", "0x10"]),
    st.datetimes().map(lambda d: email.utils.format_datetime(d.replace(tzinfo=None))),
    st.text().map(lambda t: f"Wed, 21 Oct 2015 07:28:00 {t}"),
)


@given(ms=st.one_of(st.none(), _numberish), value=st.one_of(st.none(), _numberish))
def test_retry_after_headers_always_give_a_bounded_delay_or_none(ms, value) -> None:
    headers = {k: v for k, v in (("retry-after-ms", ms), ("retry-after", value)) if v is not None}
    delay = retry_after_seconds(headers, now=NOW)
    assert_bounded(delay)
    retryable("rate limited", "ProviderRateLimited", delay)  # and the error builds from it


@given(duration=st.one_of(_numberish, _numberish.map(lambda t: f"{t}s")))
def test_retry_delay_durations_always_give_a_bounded_delay_or_none(duration) -> None:
    assert_bounded(retry_delay_seconds(duration))


@given(body=st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.text()),
    lambda inner: st.one_of(st.lists(inner), st.dictionaries(st.text(), inner)),
    max_leaves=20,
))
def test_any_error_body_gives_a_bounded_delay_or_none(body) -> None:
    assert_bounded(retry_info_seconds(body))
    assert_bounded(retry_info_seconds({"error": {"details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": body}]}}))


def test_known_shapes_are_read() -> None:
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": email.utils.formatdate(NOW + 30, usegmt=True)},
                               now=NOW) == 30.0
    assert retry_after_seconds({"retry-after": "1e20"}) == MAX_RETRY_DELAY
    for nothing in ("inf", "nan", "-3", "0", "soon", email.utils.formatdate(NOW - 60)):
        assert retry_after_seconds({"retry-after": nothing}, now=NOW) is None
    info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"}
    assert retry_info_seconds({"error": {"code": 429, "details": [{"@type": "x"}, info]}}) == 2.5
    assert retry_delay_seconds("31s") == 31.0 and retry_delay_seconds("31") is None
