"""The prompt activity with the real `openai` client against the local emulator, over HTTP.

Every mapping of issue 7 is covered: a structured reply, the text fallback, retryable
faults (429 with Retry-After, 5xx, timeouts, refused connections), non-retryable
ones (400/401/403/404, refusals, content filtering), the offline planner, and that
the API key never leaves the activity: results, errors (as Temporal would serialize
them, causes included) and log lines are scanned for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from datetime import timedelta

import pytest
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.config import Settings
from activities.planner.llm_prompt import SYSTEM_PROMPT
from activities.planner.prompt_activities import PromptActivities
from tests.emulators.openai_emulator import FAULT_REPLY_PROMPT, EmulatorControl
from workflows.error_types import (
    CONTENT_FILTERED,
    PROVIDER_AUTH,
    PROVIDER_BAD_REQUEST,
    PROVIDER_NOT_FOUND,
    PROVIDER_RATE_LIMITED,
    PROVIDER_UNAVAILABLE,
)
from workflows.models import ChatMessage, PlannerKind
from workflows.step_models import ClipContext, PromptRequest, PromptSuggestion

ORIGINAL_PROMPT = "A band plays on a rooftop at sunset, wide shot, slow dolly in, warm tones"
SUMMARY = "Scene: a city rooftop. Style: 35mm film, warm grade. Characters: Mara, the singer."


@pytest.fixture
def emulator(openai_emulator_clean: EmulatorControl) -> EmulatorControl:
    return openai_emulator_clean


def make_request(instruction: str = "make it nighttime", messages: int = 5) -> PromptRequest:
    conversation = [
        ChatMessage(role="user" if i % 2 else "assistant", content=f"message-marker-{i}")
        for i in range(1, messages + 1)
    ]
    context = ClipContext(
        job_id=uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
        clip_index=3,
        prompt=ORIGINAL_PROMPT,
        scene_summary=SUMMARY,
    )
    return PromptRequest(instruction=instruction, context=context, conversation=conversation)


def activities_for(emulator: EmulatorControl, **overrides: object) -> PromptActivities:
    values: dict[str, object] = {
        "openai_api_key": emulator.api_key,
        "openai_base_url": emulator.base_url,
        "openai_timeout_seconds": 5.0,
    }
    values.update(overrides)
    return PromptActivities.from_settings(Settings(**values))


async def suggest(acts: PromptActivities, req: PromptRequest | None = None) -> PromptSuggestion:
    return await ActivityEnvironment().run(acts.suggest_prompt, req or make_request())


async def suggest_error(acts: PromptActivities, key: str) -> ApplicationError:
    """Run the activity expecting an ApplicationError, and check the key is nowhere in it."""
    with pytest.raises(ApplicationError) as caught:
        await suggest(acts)
    assert_key_absent(caught.value, key)
    return caught.value


def assert_key_absent(err: BaseException, key: str) -> None:
    """Serialize the error as a Temporal worker would (causes and details too) and scan it."""
    failure = Failure()
    DefaultFailureConverter().to_failure(err, PayloadConverter.default, failure)
    assert key not in str(failure)
    assert key not in str(err)
    assert key not in repr(getattr(err, "details", ()))


def reply_json(**fields: object) -> str:
    reply = {
        "prompt": "A band plays on a rooftop at night, wide shot, slow dolly in, cool moonlit tones",
        "temperature": 0.75,
        "reasoning": "medium_high: the time of day changes.",
        "negative_prompt": "daylight, sun",
    }
    reply.update(fields)
    return json.dumps(reply)


async def test_structured_reply_is_parsed(emulator: EmulatorControl, caplog) -> None:
    emulator.script_reply(reply_json())
    with caplog.at_level(logging.INFO):
        result = await suggest(activities_for(emulator))

    assert result == PromptSuggestion(
        prompt="A band plays on a rooftop at night, wide shot, slow dolly in, cool moonlit tones",
        temperature=0.75,
        reasoning="medium_high: the time of day changes.",
        negative_prompt="daylight, sun",
        planner=PlannerKind.LLM,
        parsed_as_json=True,
    )
    assert emulator.counters() == {"total": 1, "outcomes": {"ok": 1}}
    lines = [r.getMessage() for r in caplog.records if "suggest_prompt" in r.getMessage()]
    assert len(lines) == 1 and "planner=llm" in lines[0] and "parsed_as_json=True" in lines[0]
    assert all(emulator.api_key not in r.getMessage() for r in caplog.records)


async def test_request_carries_policy_summary_and_only_last_three_messages(
    emulator: EmulatorControl,
) -> None:
    await suggest(activities_for(emulator, openai_model="gpt-4o-2024-08-06"))

    body = emulator.last_request()
    assert body["model"] == "gpt-4o-2024-08-06"
    assert body["response_format"]["type"] == "json_schema"
    schema = body["response_format"]["json_schema"]
    assert schema["strict"] is True
    assert set(schema["schema"]["required"]) == {
        "prompt",
        "temperature",
        "reasoning",
        "negative_prompt",
    }
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert "0.20-0.30" in system["content"] and "almost exactly the same" in system["content"]
    assert user["role"] == "user"
    for expected in (ORIGINAL_PROMPT, SUMMARY, "make it nighttime"):
        assert expected in user["content"]
    for kept in ("message-marker-3", "message-marker-4", "message-marker-5"):
        assert kept in user["content"]
    for dropped in ("message-marker-1", "message-marker-2"):
        assert dropped not in user["content"]


async def test_default_emulator_reply_round_trips(emulator: EmulatorControl) -> None:
    result = await suggest(activities_for(emulator))
    assert result.planner == PlannerKind.LLM and result.parsed_as_json
    # The emulator echoes the instruction after the original prompt; the reply check turns its
    # contradicting "at sunset" into "at night" (reply_checks.py).
    assert result.prompt.startswith(ORIGINAL_PROMPT.replace("at sunset", "at night"))
    assert "nighttime" in result.prompt and "sunset" not in result.prompt


async def test_out_of_range_temperature_is_clamped(emulator: EmulatorControl) -> None:
    emulator.script_reply(reply_json(temperature=1.4))
    assert (await suggest(activities_for(emulator))).temperature == 1.0


@pytest.mark.parametrize("reply", ["malformed_json", "plain_text"])
async def test_reply_that_is_not_the_json_falls_back_to_text_at_0_7(
    emulator: EmulatorControl, reply: str
) -> None:
    emulator.push_fault(reply=reply)
    result = await suggest(activities_for(emulator))
    assert result.parsed_as_json is False
    assert result.temperature == 0.7
    assert result.planner == PlannerKind.LLM
    assert result.prompt == FAULT_REPLY_PROMPT


async def test_rate_limit_is_retryable_after_retry_after(emulator: EmulatorControl) -> None:
    emulator.push_fault(status=429, retry_after=7)
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert err.type == PROVIDER_RATE_LIMITED
    assert err.non_retryable is False
    assert err.next_retry_delay == timedelta(seconds=7)
    assert emulator.counters()["total"] == 1  # max_retries=0: Temporal retries, not the SDK


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(emulator: EmulatorControl, status: int) -> None:
    emulator.push_fault(status=status)
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert (err.type, err.non_retryable) == (PROVIDER_UNAVAILABLE, False)
    assert f"HTTP {status}" in err.message
    assert emulator.counters()["total"] == 1


async def test_timeout_is_retryable(emulator: EmulatorControl) -> None:
    emulator.push_fault(delay=2.0)
    err = await suggest_error(
        activities_for(emulator, openai_timeout_seconds=0.2), emulator.api_key
    )
    assert (err.type, err.non_retryable) == (PROVIDER_UNAVAILABLE, False)
    assert "Timeout" in err.message


async def test_a_request_left_waiting_by_a_timeout_leaves_the_next_test_alone(
    emulator: EmulatorControl,
) -> None:
    """The emulator's own isolation: CI once saw a 2 s delay outlive its test and take
    the next test's scripted reply (tests/test_prompt_reply_checks.py failed once so)."""
    emulator.push_fault(delay=0.6)
    await suggest_error(activities_for(emulator, openai_timeout_seconds=0.1), emulator.api_key)
    emulator.reset()
    scripted = json.dumps({"prompt": "A scripted night street", "temperature": 0.4,
                           "reasoning": "scripted", "negative_prompt": ""})
    emulator.script_reply(scripted)
    await asyncio.sleep(0.8)  # the abandoned request wakes after the reset
    suggestion = await suggest(activities_for(emulator))
    assert suggestion.prompt == "A scripted night street"
    assert emulator.counters()["total"] == 1


async def test_connection_refused_is_retryable(emulator: EmulatorControl) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    acts = activities_for(emulator, openai_base_url=f"http://127.0.0.1:{port}/v1")
    err = await suggest_error(acts, emulator.api_key)
    assert (err.type, err.non_retryable) == (PROVIDER_UNAVAILABLE, False)
    assert "could not be reached" in err.message


async def test_body_that_is_not_a_completion_is_retryable(emulator: EmulatorControl) -> None:
    emulator.push_fault(reply="broken_body")
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert (err.type, err.non_retryable) == (PROVIDER_UNAVAILABLE, False)


@pytest.mark.parametrize(
    ("status", "error_type", "hint"),
    [
        (400, PROVIDER_BAD_REQUEST, "Fix the request"),
        (401, PROVIDER_AUTH, "Check the API key"),
        (403, PROVIDER_AUTH, "Check the API key"),
        (404, PROVIDER_NOT_FOUND, "Check the model name"),
    ],
)
async def test_client_errors_are_non_retryable(
    emulator: EmulatorControl, status: int, error_type: str, hint: str
) -> None:
    emulator.push_fault(status=status)
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert (err.type, err.non_retryable) == (error_type, True)
    assert f"HTTP {status}" in err.message and hint in err.message


async def test_wrong_key_is_non_retryable_and_never_echoed(emulator: EmulatorControl) -> None:
    wrong_key = "not-shaped-like-a-key-Zq81x7Lm20"  # no sk- prefix: only explicit redaction hides it
    err = await suggest_error(activities_for(emulator, openai_api_key=wrong_key), wrong_key)
    assert (err.type, err.non_retryable) == (PROVIDER_AUTH, True)
    assert "[redacted]" in err.message  # the emulator quoted the key back; it was scrubbed
    assert emulator.counters()["outcomes"] == {"unauthorized": 1}


@pytest.mark.parametrize("reply", ["refusal", "content_filter"])
async def test_refusal_is_non_retryable_content_filtered(
    emulator: EmulatorControl, reply: str
) -> None:
    emulator.push_fault(reply=reply)
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert (err.type, err.non_retryable) == (CONTENT_FILTERED, True)
    assert "Rephrase the instruction" in err.message


async def test_refusal_text_is_reported(emulator: EmulatorControl) -> None:
    emulator.push_fault(reply="refusal")
    err = await suggest_error(activities_for(emulator), emulator.api_key)
    assert "I can't help with that request" in err.message


async def test_no_key_uses_the_offline_planner(emulator: EmulatorControl) -> None:
    acts = activities_for(emulator, openai_api_key=None)
    result = await suggest(acts, make_request("make it nighttime"))
    assert result.planner == PlannerKind.OFFLINE
    assert result.prompt != ORIGINAL_PROMPT and 0.0 <= result.temperature <= 1.0
    assert emulator.counters()["total"] == 0  # no call went out


async def test_settings_from_environment_reach_the_emulator(
    emulator: EmulatorControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", emulator.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OPENAI_MODEL", "gpt-4o-mini")
    result = await suggest(PromptActivities.from_settings(Settings()))
    assert result.planner == PlannerKind.LLM
    assert emulator.last_request()["model"] == "gpt-4o-mini"


async def test_results_never_carry_the_key(emulator: EmulatorControl) -> None:
    emulator.push_fault(reply="plain_text")
    acts = activities_for(emulator)
    offline = activities_for(emulator, openai_api_key=None)
    for result in (await suggest(acts), await suggest(acts), await suggest(offline)):
        assert emulator.api_key not in result.model_dump_json()


async def test_random_faults_repeat_for_the_same_seed(emulator: EmulatorControl) -> None:
    """The seeded fault rate reliability runs rely on: same seed, same outcomes."""
    acts = activities_for(emulator)

    async def outcomes() -> list[str]:
        seen = []
        for _ in range(12):
            try:
                seen.append((await suggest(acts)).planner.value)
            except ApplicationError as err:
                assert err.non_retryable is False
                seen.append(err.type or "")
        return seen

    emulator.set_fault_rate(0.5, seed=11)
    first = await outcomes()
    emulator.reset()
    emulator.set_fault_rate(0.5, seed=11)
    assert await outcomes() == first
    assert "llm" in first and set(first) - {"llm"}  # both answers and faults occurred
