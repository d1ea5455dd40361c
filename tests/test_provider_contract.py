"""Veo as it really behaves, round two: the quota project on every call, and only the
fields Google documents for the model (rules and sources in tests/emulators/README.md)."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.video.video_activities import VideoActivities
from tests.test_veo_activity import generation, veo_settings
from workflows.error_types import PROVIDER_AUTH
from workflows.step_models import GenerationState, StoreVideoRequest, WaitRequest


@pytest.fixture
def quota_veo(fresh_veo_emulator):
    fresh_veo_emulator.configure(quota_project="billing-project", job_seconds=0.0)
    return fresh_veo_emulator


async def test_every_vertex_call_names_the_quota_project_the_credentials_carry(
    quota_veo, tmp_path, db_pool, sample_job_id, monkeypatch
):
    """Submit (google-genai), status check and fetch (built here) all send it."""
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-project")
    video = VideoActivities.from_settings(veo_settings(quota_veo, tmp_path), db_pool)
    try:
        submission = await ActivityEnvironment().run(
            video.submit_generation, generation(sample_job_id))
        status = await ActivityEnvironment().run(
            video.wait_for_generation,
            WaitRequest(operation_name=submission.operation_name, backend="veo"))
        assert status.state == GenerationState.SUCCEEDED
        stored = await ActivityEnvironment().run(video.store_generated_video, StoreVideoRequest(
            operation_name=submission.operation_name, backend="veo", job_id=sample_job_id,
            clip_index=0, regeneration_id="regenerate-x-0/quota"))
        assert stored.size_bytes
    finally:
        await video.aclose()
    assert quota_veo.counters()["auth_failures"] == 0


async def test_without_the_quota_project_header_the_strict_emulator_refuses(
    quota_veo, tmp_path, db_pool, sample_job_id, monkeypatch
):
    """The rule is live: credentials without the quota project are refused, nothing paid."""
    monkeypatch.delenv("GOOGLE_CLOUD_QUOTA_PROJECT", raising=False)
    video = VideoActivities.from_settings(veo_settings(quota_veo, tmp_path), db_pool)
    try:
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(video.submit_generation, generation(sample_job_id))
    finally:
        await video.aclose()
    assert err.value.type == PROVIDER_AUTH
    assert quota_veo.counters()["submissions_accepted"] == 0


# --- OpenAI: parameters per model family -------------------------------------------------

from openai import AsyncOpenAI, BadRequestError  # noqa: E402

from retake.client import start_regeneration  # noqa: E402
from tests.support.temporal import retake_settings  # noqa: E402
from tests.test_prompt_activity import activities_for, suggest  # noqa: E402
from workflows.models import PlannerKind, RegenerateClipInput, RegenerateOptions  # noqa: E402


@pytest.mark.parametrize("model", ["gpt-5.4-mini", "gpt-6-luna", "o3"])
async def test_a_reasoning_model_is_sent_no_temperature_and_a_token_cap(
    openai_emulator_clean, model
):
    suggestion = await suggest(activities_for(openai_emulator_clean, openai_model=model))
    sent = openai_emulator_clean.last_request()
    assert sent["model"] == model and "temperature" not in sent
    assert sent["max_completion_tokens"] == 8000 and "max_tokens" not in sent
    assert suggestion.planner == PlannerKind.LLM


async def test_gpt_4o_keeps_its_request_temperature_and_gets_the_cap(openai_emulator_clean):
    await suggest(activities_for(openai_emulator_clean))
    sent = openai_emulator_clean.last_request()
    assert sent["model"] == "gpt-4o" and "temperature" in sent
    assert sent["max_completion_tokens"] == 1000


async def test_the_strict_openai_emulator_refuses_what_a_reasoning_model_refuses(
    openai_emulator_clean
):
    client = AsyncOpenAI(api_key=openai_emulator_clean.api_key,
                         base_url=openai_emulator_clean.base_url, max_retries=0)
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(BadRequestError) as err:
        await client.chat.completions.create(model="gpt-5", messages=messages, temperature=0.2)
    assert err.value.code == "unsupported_value" and err.value.param == "temperature"
    with pytest.raises(BadRequestError) as err:
        await client.chat.completions.create(model="o3", messages=messages, max_tokens=50)
    assert err.value.code == "unsupported_parameter"
    with pytest.raises(BadRequestError):
        await client.chat.completions.create(
            model="gpt-4o-2024-05-13", messages=messages,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}})
    await client.close()


async def test_a_regeneration_plans_with_a_reasoning_model_end_to_end(
    temporal_client, run_worker, sample_job_id, task_queue, tmp_path, openai_emulator_clean
):
    settings = retake_settings(tmp_path, openai=openai_emulator_clean, openai_model="gpt-5.4-mini")
    async with run_worker(settings):
        handle = await start_regeneration(temporal_client, RegenerateClipInput(
            job_id=sample_job_id, clip_index=3, instruction="give it a dreamier mood",
            options=RegenerateOptions(dry_run=True)), task_queue=task_queue)
        result = await handle.result()
    assert result.planner == PlannerKind.LLM and result.status == "planned"
    assert "temperature" not in openai_emulator_clean.last_request()
