"""OpenAI faults as they really arrive (issue 12), through the real `openai` client.

Quota exhaustion fails at once and typed; rate limits retry after the server's hint
(retry-after-ms, Retry-After seconds or HTTP-date), capped; an unusable rewrite is
answered by the offline planner and says so; a shut-down model names OPENAI_MODEL.
The emulator sends each fault with the body and headers the real API sends
(tests/emulators/README.md, OAIERR / OAICHAT).
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from activities.planner.offline_planner import offline_suggestion
from activities.retry_hints import MAX_RETRY_DELAY
from tests.emulators.openai_emulator import EmulatorControl
from tests.test_prompt_activity import (
    ORIGINAL_PROMPT,
    activities_for,
    make_request,
    suggest,
    suggest_error,
)
from workflows.error_types import (
    PROVIDER_NOT_FOUND,
    PROVIDER_QUOTA_EXHAUSTED,
    PROVIDER_RATE_LIMITED,
)
from workflows.models import PlannerKind
from workflows.step_options import NON_RETRYABLE as _NON_RETRYABLE


@pytest.fixture
def emulator(openai_emulator_clean: EmulatorControl) -> EmulatorControl:
    return openai_emulator_clean


async def test_insufficient_quota_fails_at_once_typed_and_says_what_to_do(emulator) -> None:
    emulator.push_error("insufficient_quota")
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert (err.type, err.non_retryable) == (PROVIDER_QUOTA_EXHAUSTED, True)
    assert err.next_retry_delay is None
    assert "Billing" in err.message and "OPENAI_API_KEY" in err.message
    assert PROVIDER_QUOTA_EXHAUSTED in _NON_RETRYABLE  # the workflow never retries it either
    assert emulator.counters()["total"] == 1


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (dict(retry_after=7), 7.0),
        (dict(retry_after_ms=1500), 1.5),
        (dict(retry_after=30, retry_after_ms=250), 0.25),  # the SDK reads -ms first
        (dict(retry_after=100_000), MAX_RETRY_DELAY),  # capped, not a delay of a day
    ],
)
async def test_rate_limit_retries_after_the_servers_hint(emulator, hint, expected) -> None:
    emulator.push_error("rate_limit_exceeded", **hint)
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert (err.type, err.non_retryable) == (PROVIDER_RATE_LIMITED, False)
    assert err.next_retry_delay == timedelta(seconds=expected)


async def test_rate_limit_with_an_http_date_retry_after(emulator) -> None:
    emulator.push_error("rate_limit_exceeded", retry_after=20, retry_after_date=True)
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert err.type == PROVIDER_RATE_LIMITED and err.next_retry_delay is not None
    # An HTTP-date has one-second resolution and the request took some time.
    assert 17 <= err.next_retry_delay.total_seconds() <= 21


async def test_model_not_found_is_typed_and_names_openai_model(emulator) -> None:
    emulator.retire_models("gpt-4o-2024-05-13")
    err = await suggest_error(
        activities_for(emulator, openai_model="gpt-4o-2024-05-13"), emulator.api_key
    )
    assert (err.type, err.non_retryable) == (PROVIDER_NOT_FOUND, True)
    assert "OPENAI_MODEL" in err.message and "gpt-4o-2024-05-13" in err.message


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        ("length", "cut off (finish_reason length)"),
        ("unparseable", "no rewritten prompt"),
        ("nan_temperature", "temperature was not a number"),
        ("nan_string_temperature", "temperature was not a number"),
    ],
)
async def test_unusable_rewrite_falls_back_to_the_offline_planner(emulator, reply, why) -> None:
    emulator.push_fault(reply=reply)
    req = make_request("make it nighttime")
    result = await suggest(activities_for(emulator), req)

    offline = offline_suggestion(req.instruction, req.context.prompt)
    assert result.planner == PlannerKind.OFFLINE and result.parsed_as_json is False
    assert result.prompt == offline.prompt != ORIGINAL_PROMPT  # never the bare original
    assert result.temperature == offline.temperature and math.isfinite(result.temperature)
    assert why in result.reasoning and "unusable" in result.reasoning
    assert emulator.counters()["total"] == 1  # one paid call, no retry of an unusable reply
