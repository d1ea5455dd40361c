"""GPT-4o's rewrite gets the offline planner's guarantees (issue 18, item 4).

The real `openai` client talks to the emulator, which is scripted to answer the way a
model sometimes does: it keeps the thing it was asked to remove, echoes a "Requested
change:" label, or leaves "at sunset" beside "at night". The activity's reply must not
carry those to Veo, and the plan's negative prompt must name what was removed.
"""

from __future__ import annotations

import json
import random
import uuid

import pytest
from temporalio.testing import ActivityEnvironment

from activities.config import Settings
from activities.planner.prompt_activities import PromptActivities
from tests.emulators.openai_emulator import EmulatorControl
from workflows.decisions import finalize_plan
from workflows.models import DEFAULT_VIDEO_MODEL, PlannerKind
from workflows.step_models import ClipContext, PromptRequest, PromptSuggestion

STAGE = "A rapper performs on a stage in front of a cheering crowd, strobe lights, handheld camera"
STREET = "A singer walks down a dry street at sunset, clear sky, dolly shot"


def request(instruction: str, prompt: str) -> PromptRequest:
    context = ClipContext(job_id=uuid.uuid4(), clip_index=0, prompt=prompt, original_seed=7)
    return PromptRequest(instruction=instruction, context=context, conversation=[])


async def ask(emulator: EmulatorControl, req: PromptRequest, reply: str) -> PromptSuggestion:
    emulator.script_reply(reply)
    acts = PromptActivities.from_settings(
        Settings(
            openai_api_key=emulator.api_key,
            openai_base_url=emulator.base_url,
            openai_timeout_seconds=5.0,
        )
    )
    return await ActivityEnvironment().run(acts.suggest_prompt, req)


def reply(prompt: str, temperature: float = 0.35) -> str:
    return json.dumps(
        {
            "prompt": prompt,
            "temperature": temperature,
            "reasoning": "As asked.",
            "negative_prompt": "",
        }
    )


async def test_removed_thing_leaves_the_prompt_and_lands_in_the_negative(
    openai_emulator_clean: EmulatorControl,
) -> None:
    req = request("remove the crowd", STAGE)
    kept = f"{STAGE}, energetic performance. Requested change: remove the crowd"
    suggestion = await ask(openai_emulator_clean, req, reply(kept))

    assert suggestion.planner is PlannerKind.LLM and suggestion.parsed_as_json
    assert "crowd" not in suggestion.prompt.lower()
    assert "requested change" not in suggestion.prompt.lower()
    assert suggestion.prompt.startswith("A rapper performs on a stage")
    assert "energetic performance" in suggestion.prompt  # the model's own words stay
    assert "Prompt checked" in suggestion.reasoning
    plan = finalize_plan(
        instruction=req.instruction,
        context=req.context,
        suggestion=suggestion,
        rng=random.Random(0),
        video_model=DEFAULT_VIDEO_MODEL,
    )
    assert "crowd" in (plan.negative_prompt or "")
    assert openai_emulator_clean.counters()["total"] == 1


async def test_time_and_weather_contradictions_are_resolved(
    openai_emulator_clean: EmulatorControl,
) -> None:
    req = request("make it night and add rain", STREET)
    sloppy = (
        "A singer walks down a dry street at sunset, clear sky, heavy rain, dolly shot, at night"
    )
    suggestion = await ask(openai_emulator_clean, req, reply(sloppy, 0.75))

    lowered = suggestion.prompt.lower()
    assert "night" in lowered and "rain" in lowered
    for contradiction in ("sunset", "dry", "clear sky"):
        assert contradiction not in lowered, suggestion.prompt


async def test_text_fallback_reply_is_checked_too(openai_emulator_clean: EmulatorControl) -> None:
    req = request("lose the crowd", STAGE)
    text = f"Prompt: {STAGE}. Requested change: lose the crowd\nTemperature: 0.35"
    suggestion = await ask(openai_emulator_clean, req, text)

    assert not suggestion.parsed_as_json
    assert "crowd" not in suggestion.prompt.lower()
    assert "requested change" not in suggestion.prompt.lower()


@pytest.mark.parametrize(
    ("instruction", "prompt", "answer"),
    [
        ("remove the crowd", STAGE, "A rapper performs alone on a bare stage, strobe lights"),
        ("make it nighttime", STREET, "A singer walks down a wet street at night, dolly shot"),
    ],
)
async def test_a_consistent_reply_is_left_as_written(
    openai_emulator_clean: EmulatorControl, instruction: str, prompt: str, answer: str
) -> None:
    suggestion = await ask(openai_emulator_clean, request(instruction, prompt), reply(answer))
    assert suggestion.prompt == answer
    assert suggestion.reasoning == "As asked."
