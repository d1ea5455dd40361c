"""One reading of stage data: the loaders, the one-statement context load and persist agree
on every stored form the pipeline uses (property tests against a real Postgres).

Forms: the stage as a JSON object or as a jsonb string of JSON text; its list nested
(metadata[key][key]) or flat (metadata[key]), each either as JSON or as JSON text one
level down (metadata[key] = "<text>"). activities/job_store/stage_json.py and migration
004 are the two readings.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.job_store.job_store_activities import (
    DEFAULT_TARGET_DURATION,
    JobStoreActivities,
    stored_seed,
)
from activities.job_store.stage_loaders import (
    load_clip_prompts_from_job_stages,
    load_clips_from_job_stages,
)
from activities.job_store.stage_models import Clip, ClipPrompt
from tests.support.job_rows import new_job, set_stage, stage_metadata, version_problems
from workflows import error_types
from workflows.step_models import ClipContext, ClipRef, PersistRequest

TOPS = ["object", "text"]
LISTS = ["nested", "flat", "nested-as-text", "flat-as-text"]

_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=12
)
_seconds = st.floats(min_value=0.5, max_value=60, allow_nan=False, allow_infinity=False)


@st.composite
def clip_entries(draw) -> list[dict[str, Any]]:
    indexes = draw(st.lists(st.integers(0, 40), min_size=1, max_size=6, unique=True))
    clips = []
    for i in indexes:
        clip: dict[str, Any] = {"clip_index": i, "video_url": f"https://x/{i}.mp4"}
        if draw(st.booleans()):
            clip["target_duration"] = draw(_seconds)
        if draw(st.booleans()):
            clip["prompt"] = draw(_text)  # a clip regenerated before carries its prompt
        seed = draw(st.one_of(st.none(), st.integers(0, 2**32 - 1)))
        clip["metadata"] = {"model": "veo"} | ({} if seed is None else {"generation_seed": seed})
        if draw(st.booleans()):
            clip["extra"] = {"kept": draw(_text)}
        clips.append(clip)
    return clips


@st.composite
def prompt_entries(draw, clips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    prompts = []
    for clip in clips:
        if draw(st.integers(0, 5)) == 0:
            continue  # now and then a clip without a prompt
        prompt: dict[str, Any] = {"clip_index": clip["clip_index"], "prompt": draw(_text)}
        if draw(st.booleans()):
            prompt["duration"] = draw(_seconds)
        if draw(st.booleans()):
            prompt["negative_prompt"] = draw(_text)
        prompts.append(prompt)
    return prompts


def stored(entries: list[dict[str, Any]], key: str, top: str, form: str) -> Any:
    """The stage's metadata in one stored form (a Python str is stored as a jsonb string)."""
    body = {key: entries, "total_clips": len(entries)}
    inner: Any = {"nested": body, "flat": entries}[form.removesuffix("-as-text")]
    metadata = {key: json.dumps(inner) if form.endswith("-as-text") else inner}
    if form.startswith("flat"):
        metadata["total_clips"] = len(entries)
    return json.dumps(metadata) if top == "text" else metadata


@st.composite
def stages(draw) -> dict[str, Any]:
    clips = draw(clip_entries())
    return {
        "clips": clips,
        "prompts": draw(prompt_entries(clips)),
        "video": (draw(st.sampled_from(TOPS)), draw(st.sampled_from(LISTS))),
        "prompt": (draw(st.sampled_from(TOPS)), draw(st.sampled_from(LISTS))),
    }


async def store(pool: asyncpg.Pool, case: dict[str, Any]) -> UUID:
    job = await new_job(pool)
    await set_stage(pool, job, "video_generator", stored(case["clips"], "clips", *case["video"]))
    await set_stage(pool, job, "prompt_generator",
                    stored(case["prompts"], "clip_prompts", *case["prompt"]))
    return job


async def context(pool: asyncpg.Pool, job: UUID, index: int) -> ClipContext | ApplicationError:
    try:
        return await ActivityEnvironment().run(
            JobStoreActivities(pool).load_clip_context, ClipRef(job_id=job, clip_index=index)
        )
    except ApplicationError as error:
        return error


def expected_context(clip: Clip, prompt: ClipPrompt) -> dict[str, Any]:
    """What load_clip_context must say about a clip, from what the loaders read."""
    return {
        "prompt": clip.prompt or prompt.prompt,
        "negative_prompt": clip.negative_prompt or prompt.negative_prompt,
        "original_seed": stored_seed(clip),
        "target_duration": clip.target_duration or prompt.duration or DEFAULT_TARGET_DURATION,
    }


async def assert_readings_agree(pool: asyncpg.Pool, job: UUID) -> dict[int, Clip]:
    clips = await load_clips_from_job_stages(job, pool=pool)
    prompts = await load_clip_prompts_from_job_stages(job, pool=pool)
    assert clips is not None and prompts is not None  # every form is readable
    assert clips.job_id == job == prompts.job_id
    by_index = {c.clip_index: c for c in clips.clips}
    prompt_of = {p.clip_index: p for p in prompts.clip_prompts}
    for index, clip in by_index.items():
        got = await context(pool, job, index)
        if index in prompt_of:
            assert isinstance(got, ClipContext), got
            assert got.model_dump(include=set(expected_context(clip, prompt_of[index]))) == (
                expected_context(clip, prompt_of[index])
            )
        else:
            assert isinstance(got, ApplicationError)
            assert got.type == error_types.INVALID_METADATA and f"clip {index}" in got.message
    missing = await context(pool, job, max(by_index) + 1)
    assert isinstance(missing, ApplicationError) and missing.type == error_types.CLIP_NOT_FOUND
    assert f"has {len(by_index)} clips" in missing.message
    return by_index


_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_SETTINGS
@given(case=stages())
async def test_loaders_and_context_load_agree_on_every_stored_form(
    db_pool: asyncpg.Pool, case: dict[str, Any]
) -> None:
    job = await store(db_pool, case)
    await assert_readings_agree(db_pool, job)


def json_type(value: Any) -> str:
    return type(value).__name__


@_SETTINGS
@given(case=stages(), pick=st.integers(0, 5))
async def test_persist_keeps_the_stored_form_and_both_readings_see_the_new_clip(
    db_pool: asyncpg.Pool, case: dict[str, Any], pick: int
) -> None:
    job = await store(db_pool, case)
    before = await stage_metadata(db_pool, job, "video_generator")
    index = case["clips"][pick % len(case["clips"])]["clip_index"]
    req = PersistRequest(
        job_id=job, clip_index=index, regeneration_id=f"{job}/forms", video_url="https://x/new.mp4",
        prompt="the new prompt", user_instruction="any", seed=77, temperature=0.5,
        duration_seconds=6.0, cost_usd=Decimal("2.40"), generation_seconds=50.0,
    )
    await ActivityEnvironment().run(JobStoreActivities(db_pool).persist_clip_version, req)
    after = await stage_metadata(db_pool, job, "video_generator")
    assert json_type(after) == json_type(before)  # a JSON-text stage stays JSON text
    assert await version_problems(db_pool, job) == []  # in every stored form
    inner_before = json.loads(before) if isinstance(before, str) else before
    inner_after = json.loads(after) if isinstance(after, str) else after
    assert json_type(inner_after["clips"]) == json_type(inner_before["clips"])
    clips = await assert_readings_agree(db_pool, job)
    new = clips[index]
    assert (new.video_url, new.prompt, new.metadata["generation_seed"]) == (
        "https://x/new.mp4", "the new prompt", 77)
    assert (new.actual_duration, new.cost, new.status) == (6.0, Decimal("2.4000"), "success")
    old = {c["clip_index"]: c for c in case["clips"]}
    for other, clip in clips.items():
        if other != index:
            assert clip.model_dump(mode="json", exclude_unset=True) == old[other]


@pytest.mark.parametrize("form", LISTS)
@pytest.mark.parametrize("top", TOPS)
async def test_each_form_once_by_name(db_pool: asyncpg.Pool, top: str, form: str) -> None:
    """The same check, one named case per form, so a failure says which form broke."""
    clips = [{"clip_index": 0, "video_url": "https://x/0.mp4", "metadata": {"generation_seed": 5}},
             {"clip_index": 3, "video_url": "https://x/3.mp4", "target_duration": 4.0,
              "metadata": {}}]
    prompts = [{"clip_index": 0, "prompt": "zero"}, {"clip_index": 3, "prompt": "three"}]
    job = await store(db_pool, {"clips": clips, "prompts": prompts, "video": (top, form),
                                "prompt": (top, form)})
    assert set(await assert_readings_agree(db_pool, job)) == {0, 3}
