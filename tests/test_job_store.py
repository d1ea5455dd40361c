"""load_clip_context against a real Postgres: the compact context, one statement, typed errors."""

from __future__ import annotations

import json
import logging
from uuid import UUID, uuid4

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.sample_data import read_sample
from activities.postgres.pool import create_pool
from tests.support.job_rows import drop_stage, new_job, set_stage
from tests.support.postgres import PrivatePostgres
from workflows import error_types
from workflows.step_models import ClipContext, ClipRef, PersistRequest

REFS = "https://storage.example.com/jobs/{job}/refs/{name}.png"


async def load(pool: asyncpg.Pool, job: UUID, index: int) -> ClipContext:
    store = JobStoreActivities(pool)
    return await ActivityEnvironment().run(store.load_clip_context, ClipRef(job_id=job, clip_index=index))


async def load_error(pool: asyncpg.Pool, job: UUID, index: int) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await load(pool, job, index)
    return caught.value


async def test_context_of_a_clip_with_a_stored_seed(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    ctx = await load(db_pool, sample_job_id, 0)
    assert ctx.job_id == sample_job_id and ctx.clip_index == 0
    assert ctx.prompt.startswith("A woman in a red jacket walks down a rain-soaked neon street")
    assert ctx.negative_prompt == "blurry, distorted hands, extra limbs, text artifacts"
    assert ctx.original_seed == 1000
    assert ctx.target_duration == 8.0
    assert ctx.scene_reference_urls == [REFS.format(job=sample_job_id, name="scene_street")]
    assert ctx.character_reference_urls == [REFS.format(job=sample_job_id, name="char_maya")]
    assert "neo-noir cinematic" in ctx.scene_summary
    assert "Maya" in ctx.scene_summary and "red leather jacket" in ctx.scene_summary
    assert "The Band" not in ctx.scene_summary  # only this clip's characters


async def test_context_of_the_seedless_clip(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    ctx = await load(db_pool, sample_job_id, 3)
    assert ctx.original_seed is None
    assert ctx.target_duration == 4.0
    assert ctx.prompt.startswith("The drummer hits the cymbals")
    assert ctx.scene_reference_urls == [REFS.format(job=sample_job_id, name="scene_rooftop")]
    assert ctx.character_reference_urls == [REFS.format(job=sample_job_id, name="char_band")]
    assert "rooftop" in ctx.scene_summary and "(dusk)" in ctx.scene_summary


async def test_reference_images_come_from_the_reference_stage_too(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    _, stages = read_sample(job_id=sample_job_id)
    prompts = stages["prompt_generator"]
    prompts["clip_prompts"][2].update(scene_reference_url=None, character_reference_urls=[])
    await set_stage(db_pool, sample_job_id, "prompt_generator", prompts)
    ctx = await load(db_pool, sample_job_id, 2)
    assert ctx.scene_reference_urls == [REFS.format(job=sample_job_id, name="scene_rooftop")]
    assert ctx.character_reference_urls == [REFS.format(job=sample_job_id, name="char_band")]


async def test_metadata_stored_as_json_text_gives_the_same_context(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    before = await load(db_pool, sample_job_id, 4)
    _, stages = read_sample(job_id=sample_job_id)
    for stage, metadata in stages.items():
        await set_stage(db_pool, sample_job_id, stage, json.dumps(metadata))
    assert await load(db_pool, sample_job_id, 4) == before


async def test_a_non_integer_stored_seed_is_no_seed_with_a_warning(
    db_pool: asyncpg.Pool, sample_job_id: UUID, caplog: pytest.LogCaptureFixture
) -> None:
    _, stages = read_sample(job_id=sample_job_id)
    video = stages["video_generator"]
    video["clips"]["clips"][1]["metadata"]["generation_seed"] = "lucky"
    await set_stage(db_pool, sample_job_id, "video_generator", video)
    caplog.set_level(logging.WARNING, logger="activities.job_store.job_store_activities")
    ctx = await load(db_pool, sample_job_id, 1)
    assert ctx.original_seed is None
    assert any("non-integer stored seed" in r.getMessage() for r in caplog.records)


async def test_context_is_one_statement(postgres_dsn: str, sample_job_id: UUID) -> None:
    statements: list[str] = []
    pool = await create_pool(postgres_dsn, min_size=1, max_size=1)  # one connection, logged
    try:
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda record: statements.append(record.query))
            reset = conn.get_reset_query()  # run on release by the pool, not by the activity
        statements.clear()
        await load(pool, sample_job_id, 5)
    finally:
        await pool.close()
    ours = [q for q in statements if q != reset]
    assert len(ours) == 1, ours
    assert "FROM job_stages" in ours[0]


async def test_a_500_clip_job_ships_only_the_asked_clip(db_pool: asyncpg.Pool) -> None:
    job = await new_job(db_pool)
    clips = [
        {"clip_index": i, "video_url": f"https://x/clip_{i}.mp4", "target_duration": 8.0,
         "metadata": {"generation_seed": i}}
        for i in range(500)
    ]
    prompts = [{"clip_index": i, "prompt": f"prompt number {i}"} for i in range(500)]
    await set_stage(db_pool, job, "video_generator", {"clips": {"clips": clips, "total_clips": 500}})
    await set_stage(db_pool, job, "prompt_generator", {"clip_prompts": prompts})
    from activities.job_store.queries import CLIP_CONTEXT

    row = await db_pool.fetchrow(CLIP_CONTEXT, job, 321)
    shipped = json.dumps({k: row[k] for k in row.keys()}, default=str)
    assert "clip_321.mp4" in shipped and "prompt number 321" in shipped
    assert "clip_320.mp4" not in shipped and "prompt number 322" not in shipped
    assert len(shipped) < 1000  # the whole job's metadata is ~60 kB
    ctx = await load(db_pool, job, 321)
    assert (ctx.original_seed, ctx.prompt) == (321, "prompt number 321")


def assert_typed(error: ApplicationError, type_: str, *words: str) -> None:
    assert error.type == type_
    assert error.non_retryable is True
    for word in words:
        assert word in error.message


async def test_job_not_found(db_pool: asyncpg.Pool) -> None:
    job = uuid4()
    assert_typed(await load_error(db_pool, job, 0), error_types.JOB_NOT_FOUND, str(job), "Check the job id")


async def test_video_stage_missing(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    await drop_stage(db_pool, sample_job_id, "video_generator")
    error = await load_error(db_pool, sample_job_id, 0)
    assert_typed(error, error_types.STAGE_MISSING, "video_generator", "wait for it")


async def test_prompt_stage_missing(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    await drop_stage(db_pool, sample_job_id, "prompt_generator")
    assert_typed(await load_error(db_pool, sample_job_id, 0), error_types.STAGE_MISSING, "prompt_generator")


async def test_scene_plan_and_references_are_optional(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    await drop_stage(db_pool, sample_job_id, "scene_planner")
    await drop_stage(db_pool, sample_job_id, "reference_generator")
    ctx = await load(db_pool, sample_job_id, 1)
    assert ctx.scene_summary == ""
    assert ctx.scene_reference_urls == [REFS.format(job=sample_job_id, name="scene_street")]


@pytest.mark.parametrize("index", [6, 99, -1])
async def test_clip_index_out_of_range(db_pool: asyncpg.Pool, sample_job_id: UUID, index: int) -> None:
    error = await load_error(db_pool, sample_job_id, index)
    assert_typed(error, error_types.CLIP_NOT_FOUND, f"Clip {index}", "6 clips", "indexes 0 to 5")


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        ('{"clips": {"clips": [', ("video_generator", "invalid json")),
        (json.dumps([1, 2, 3]), ("video_generator", "not an object")),
        ({"clips": {"clips": "none"}}, ("no clips list",)),
        ({"clips": {"clips": [{"clip_index": 0, "video_url": 42}]}}, ("Clip 0", "video_url")),
        (None, ("video_generator", "empty")),
    ],
    ids=["bad-json-text", "json-array", "clips-not-a-list", "malformed-clip", "sql-null"],
)
async def test_invalid_metadata(
    db_pool: asyncpg.Pool, sample_job_id: UUID, stored: object, words: tuple[str, ...]
) -> None:
    await set_stage(db_pool, sample_job_id, "video_generator", stored)
    assert_typed(await load_error(db_pool, sample_job_id, 0), error_types.INVALID_METADATA, *words)


async def test_clip_without_a_prompt_is_invalid_metadata(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    _, stages = read_sample(job_id=sample_job_id)
    prompts = stages["prompt_generator"]
    prompts["clip_prompts"] = [p for p in prompts["clip_prompts"] if p["clip_index"] != 2]
    await set_stage(db_pool, sample_job_id, "prompt_generator", prompts)
    error = await load_error(db_pool, sample_job_id, 2)
    assert_typed(error, error_types.INVALID_METADATA, "no prompt for clip 2")


async def test_connection_fault_is_retryable_and_recovers(
    private_postgres: PrivatePostgres, sample_job_id: UUID
) -> None:
    server = private_postgres
    dsn = server.start()
    pool = await create_pool(dsn, min_size=1, max_size=2)
    from activities.job_store.sample_data import load_sample_job

    try:
        job = await load_sample_job(pool, job_id=sample_job_id)
        assert (await load(pool, job, 0)).original_seed == 1000
        server.stop()
        error = await load_error(pool, job, 0)
        assert error.type == error_types.DATABASE_UNAVAILABLE
        assert error.non_retryable is False
        assert server.restart() == dsn  # same data, same socket: the pool reconnects
        assert (await load(pool, job, 0)).original_seed == 1000
    finally:
        await pool.close()


async def test_a_connection_fault_while_persisting_is_retryable_and_the_retry_lands(
    private_postgres: PrivatePostgres, sample_job_id: UUID
) -> None:
    """Postgres gone when a paid video is saved: the typed, retryable DatabaseUnavailable
    (the workflow's retry policy then saves it), not the driver's own exception; the
    retry after the restart saves version 2 once."""
    server = private_postgres
    dsn = server.start()
    pool = await create_pool(dsn, min_size=1, max_size=2)
    from activities.job_store.sample_data import load_sample_job

    store = JobStoreActivities(pool)
    request = PersistRequest(
        job_id=sample_job_id, clip_index=0, regeneration_id=f"{sample_job_id}/outage",
        video_url="https://videos.example/outage.mp4", prompt="at night", negative_prompt=None,
        user_instruction="make it nighttime", seed=7, temperature=0.35, duration_seconds=6.0,
    )
    try:
        await load_sample_job(pool, job_id=sample_job_id)
        server.stop()
        with pytest.raises(ApplicationError) as caught:
            await ActivityEnvironment().run(store.persist_clip_version, request)
        assert caught.value.type == error_types.DATABASE_UNAVAILABLE
        assert caught.value.non_retryable is False and "persisting clip 0" in str(caught.value)
        assert server.restart() == dsn
        saved = await ActivityEnvironment().run(store.persist_clip_version, request)
        assert saved.version_number == 2
        assert await pool.fetchval("SELECT count(*) FROM clip_versions WHERE job_id = $1 "
                                   "AND clip_index = 0 AND is_current", sample_job_id) == 1
    finally:
        await pool.close()


DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's recursion limit, within Postgres's


@pytest.mark.parametrize(
    "raw_json",
    [
        '{"clips": {"clips": [{"clip_index": 0, "deep": ' + DEEP + "}]}}",  # in the clip itself
        json.dumps('{"clips": {"clips": [{"clip_index": 0, "deep": ' + DEEP + "}]}}"),  # as text
        json.dumps({"clips": '{"clips": [{"clip_index": 0, "deep": ' + DEEP + "}]}"}),
    ],
    ids=["jsonb", "text-top", "text-clips"],
)
async def test_deep_nesting_is_invalid_metadata(
    db_pool: asyncpg.Pool, sample_job_id: UUID, raw_json: str
) -> None:
    await db_pool.execute(
        """UPDATE job_stages SET metadata = $2::text::jsonb
           WHERE job_id = $1 AND stage_name = 'video_generator'""", sample_job_id, raw_json,
    )
    assert_typed(await load_error(db_pool, sample_job_id, 0), error_types.INVALID_METADATA,
                 "nested too deeply", str(sample_job_id))


async def test_the_scene_summary_holds_each_part_labelled(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    ctx = await load(db_pool, sample_job_id, 0)
    assert ctx.scene_summary.splitlines() == [
        "Video: A lonely night-walker follows music through the city to a rooftop concert.",
        "Scene street: rain-soaked downtown street with neon signs (afternoon)",
        "Style: neo-noir cinematic; mood longing turning to joy; lighting neon practicals, wet "
        "reflections; camera handheld close work, slow dollies",
        "Character Maya: shoulder-length black hair, wavy, dark brown eyes, thick eyebrows, red "
        "leather jacket, black jeans, white sneakers, silver hoop earrings",
        "Shot: camera eye level, motion slow, beat low",
    ]


async def scene_plan_of(db_pool: asyncpg.Pool, job: UUID, change) -> None:
    _, stages = read_sample(job_id=job)
    change(stages)
    for name in ("video_generator", "prompt_generator", "scene_planner"):
        await set_stage(db_pool, job, name, stages[name])


async def test_the_scene_summary_is_cut_at_1200_characters(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    def long_summary(stages):
        stages["scene_planner"]["video_summary"] = "v" * 2000
    await scene_plan_of(db_pool, sample_job_id, long_summary)
    assert (await load(db_pool, sample_job_id, 0)).scene_summary == "Video: " + "v" * 1193


def untimed(stages, script: dict, prompt_duration: float | None) -> None:
    """Clip 0 without a target duration, its prompt's duration set, its script replaced."""
    stages["video_generator"]["clips"]["clips"][0]["target_duration"] = None
    stages["prompt_generator"]["clip_prompts"][0]["duration"] = prompt_duration
    stages["scene_planner"]["clip_scripts"][0] = {"clip_index": 0, **script}


@pytest.mark.parametrize(("script", "prompt_duration", "target"), [
    ({"start": 2.5, "end": 8.0}, 7.5, 7.5),  # the prompt's duration first
    ({"start": 2.5, "end": 8.0}, None, 5.5),  # fractional: the script's span
    ({"start": 2.5}, None, 8.0), ({"end": 8.0}, None, 8.0), ({}, None, 8.0),  # the default
])
async def test_a_clip_without_a_target_takes_its_prompts_or_scripts_or_8_seconds(
    db_pool: asyncpg.Pool, sample_job_id: UUID, script: dict, prompt_duration, target: float
) -> None:
    await scene_plan_of(db_pool, sample_job_id,
                        lambda stages: untimed(stages, script, prompt_duration))
    assert (await load(db_pool, sample_job_id, 0)).target_duration == target


async def test_a_clips_own_target_wins_over_its_script(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    def shorter_script(stages):
        stages["scene_planner"]["clip_scripts"][0].update(start=1.0, end=8.0)
    await scene_plan_of(db_pool, sample_job_id, shorter_script)
    assert (await load(db_pool, sample_job_id, 0)).target_duration == 8.0


async def test_sparse_scene_plan_parts_are_left_out_not_printed_empty(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    def sparse(stages):
        plan = stages["scene_planner"]
        plan["style"] = {"visual_style": "flat"}
        plan["clip_scripts"][0].update(camera_angle=None, motion=None, beat_intensity="low")
        maya = next(c for c in plan["characters"] if c["id"] == "maya")
        maya.update(name=None, description=None, features=None, role="lead")
    await scene_plan_of(db_pool, sample_job_id, sparse)
    lines = (await load(db_pool, sample_job_id, 0)).scene_summary.splitlines()
    assert lines[2:] == ["Style: flat", "Character maya: lead", "Shot: beat low"]


async def test_a_missing_or_malformed_scene_plan_gives_no_scene_lines_and_a_warning(
    db_pool: asyncpg.Pool, sample_job_id: UUID, caplog: pytest.LogCaptureFixture
) -> None:
    def malformed(stages):
        stages["scene_planner"]["scenes"][0]["time_of_day"] = {"not": "text"}
    await scene_plan_of(db_pool, sample_job_id, malformed)
    with caplog.at_level(logging.WARNING):
        ctx = await load(db_pool, sample_job_id, 0)
    assert ctx.scene_summary.splitlines() == [  # the video's summary only
        "Video: A lonely night-walker follows music through the city to a rooftop concert."]
    assert "Scene plan of job" in caplog.text
    caplog.clear()
    await set_stage(db_pool, sample_job_id, "scene_planner", [1])
    with caplog.at_level(logging.WARNING):
        assert (await load(db_pool, sample_job_id, 0)).scene_summary == ""
    assert "has no readable scene plan" in caplog.text
