"""The four public loaders against a real Postgres: each error case returns None with one log line."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest

from activities.job_store.sample_data import read_sample
from activities.job_store.stage_loaders import (
    load_clip_prompts_from_job_stages,
    load_clips_from_job_stages,
    load_reference_images_from_job_stages,
    load_scene_plan_from_job_stages,
)
from tests.support.job_rows import new_job, set_stage

pytestmark = pytest.mark.usefixtures("shared_pool_dsn")

LOADER = "activities.job_store.stage_loaders"


def loader_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOADER]


async def test_clips_load_from_nested_metadata(sample_job_id: UUID) -> None:
    clips = await load_clips_from_job_stages(sample_job_id)
    assert clips is not None
    assert clips.job_id == sample_job_id
    assert [c.clip_index for c in clips.clips] == [0, 1, 2, 3, 4, 5]
    assert clips.clips[0].metadata["generation_seed"] == 1000
    assert "generation_seed" not in clips.clips[3].metadata  # the fixture's seedless clip
    assert clips.clips[2].cost == Decimal("0.4000")
    assert clips.total_cost == Decimal("2.4000")


@pytest.mark.parametrize(
    ("loader", "stage"),
    [
        (load_clips_from_job_stages, "video_generator"),
        (load_clip_prompts_from_job_stages, "prompt_generator"),
        (load_scene_plan_from_job_stages, "scene_planner"),
        (load_reference_images_from_job_stages, "reference_generator"),
    ],
)
async def test_every_stage_round_trips_with_exact_decimals_and_uuids(
    sample_job_id: UUID, loader, stage: str
) -> None:
    _, stages = read_sample(job_id=sample_job_id)
    model = await loader(sample_job_id)
    assert model is not None
    expected = stages[stage]["clips"] if stage == "video_generator" else stages[stage]
    assert model.model_dump(mode="json", exclude_unset=True) == expected


async def test_metadata_stored_as_json_text_loads_the_same(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    _, stages = read_sample(job_id=sample_job_id)
    for stage, metadata in stages.items():
        await set_stage(db_pool, sample_job_id, stage, json.dumps(metadata))  # a jsonb string
    stored_type = await db_pool.fetchval(
        "SELECT jsonb_typeof(metadata) FROM job_stages WHERE job_id = $1 AND stage_name = $2",
        sample_job_id, "video_generator",
    )
    assert stored_type == "string"
    clips = await load_clips_from_job_stages(sample_job_id)
    assert clips is not None and len(clips.clips) == 6
    prompts = await load_clip_prompts_from_job_stages(sample_job_id)
    assert prompts is not None and prompts.clip_prompts[3].duration == 4.0
    plan = await load_scene_plan_from_job_stages(sample_job_id)
    assert plan is not None and plan.style.visual_style == "neo-noir cinematic"
    refs = await load_reference_images_from_job_stages(sample_job_id)
    assert refs is not None and refs.total_cost == Decimal("0.1200")


async def test_flat_clips_list_is_accepted(db_pool: asyncpg.Pool) -> None:
    job = await new_job(db_pool)
    clip = {"clip_index": 0, "video_url": "https://x/0.mp4", "metadata": {"generation_seed": 7}}
    await set_stage(db_pool, job, "video_generator", {"clips": [clip], "total_clips": 1})
    clips = await load_clips_from_job_stages(job)
    assert clips is not None and clips.clips[0].metadata["generation_seed"] == 7


async def test_missing_stage_returns_none_with_one_line(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    job = await new_job(db_pool)
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_scene_plan_from_job_stages(job) is None
    lines = loader_lines(caplog)
    assert len(lines) == 1
    assert "No scene_planner stage" in lines[0] and str(job) in lines[0]


async def test_unknown_job_returns_none(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_clips_from_job_stages(uuid4()) is None
    assert len(loader_lines(caplog)) == 1


@pytest.mark.parametrize("empty", [None, {}, "", "{}"], ids=["sql-null", "object", "text", "text-object"])
async def test_empty_metadata_returns_none_with_one_line(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, empty: object
) -> None:
    job = await new_job(db_pool)
    await set_stage(db_pool, job, "video_generator", empty)
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_clips_from_job_stages(job) is None
    lines = loader_lines(caplog)
    assert len(lines) == 1 and "Empty metadata" in lines[0]


async def test_invalid_json_text_returns_none_with_one_line(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    job = await new_job(db_pool)
    await set_stage(db_pool, job, "prompt_generator", '{"clip_prompts": [{"clip_index": 0,')
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_clip_prompts_from_job_stages(job) is None
    lines = loader_lines(caplog)
    assert len(lines) == 1 and "Invalid JSON" in lines[0] and "prompt_generator" in lines[0]


async def test_validation_failure_returns_none_naming_the_field(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    job = await new_job(db_pool)
    bad = {"clips": {"clips": [{"clip_index": "three", "video_url": "https://x/3.mp4"}]}}
    await set_stage(db_pool, job, "video_generator", bad)
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_clips_from_job_stages(job) is None
    lines = loader_lines(caplog)
    assert len(lines) == 1
    assert "does not match Clips" in lines[0] and "clips.0.clip_index" in lines[0]
    assert "\n" not in lines[0]


async def test_metadata_that_is_not_an_object_returns_none(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    job = await new_job(db_pool)
    await set_stage(db_pool, job, "reference_generator", json.dumps([1, 2]))
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_reference_images_from_job_stages(job) is None
    assert len(loader_lines(caplog)) == 1


async def test_unreachable_database_returns_none_with_one_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path
) -> None:
    # a socket folder with no server in it: the connection is refused at once
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres:s3cret@/postgres?host={tmp_path}")
    caplog.set_level(logging.INFO, logger=LOADER)
    for loader in (
        load_clips_from_job_stages,
        load_clip_prompts_from_job_stages,
        load_scene_plan_from_job_stages,
        load_reference_images_from_job_stages,
    ):
        assert await loader(uuid4()) is None
    lines = loader_lines(caplog)
    assert len(lines) == 4
    assert all(line.startswith("Database error") for line in lines)
    assert not any("s3cret" in line for line in lines)


LOADERS = (
    load_clips_from_job_stages,
    load_clip_prompts_from_job_stages,
    load_scene_plan_from_job_stages,
    load_reference_images_from_job_stages,
)

# Every loader from two successive event loops, as a script calling asyncio.run twice would.
_TWO_LOOPS = """
import asyncio, json, sys
from uuid import UUID
from activities.job_store import stage_loaders as m

async def load_all(job):
    names = ("load_clips_from_job_stages", "load_clip_prompts_from_job_stages",
             "load_scene_plan_from_job_stages", "load_reference_images_from_job_stages")
    return [(await getattr(m, n)(job)) is not None for n in names]

job = UUID(sys.argv[1])
print(json.dumps([asyncio.run(load_all(job)), asyncio.run(load_all(job))]))
"""


def test_every_loader_works_from_two_successive_event_loops(
    sample_job_id: UUID, shared_pool_dsn: str
) -> None:
    """A plain sync test: pytest's own loop is session-wide, so a subprocess runs two loops."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _TWO_LOOPS, str(sample_job_id)],
        env={**os.environ, "DATABASE_URL": shared_pool_dsn}, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[True] * 4, [True] * 4], done.stderr


async def test_a_given_pool_is_used(db_pool: asyncpg.Pool, sample_job_id: UUID, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@/nowhere?host=/nonexistent")
    for loader in LOADERS:
        assert await loader(sample_job_id, pool=db_pool) is not None


async def test_the_job_id_is_the_one_asked_for(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    other = uuid4()
    _, stages = read_sample(job_id=sample_job_id)
    stages["video_generator"]["clips"]["job_id"] = str(other)
    for name in ("prompt_generator", "scene_planner", "reference_generator"):
        stages[name]["job_id"] = str(other)
    for name, metadata in stages.items():
        await set_stage(db_pool, sample_job_id, name, metadata)
    for loader in LOADERS:
        assert (await loader(sample_job_id)).job_id == sample_job_id


DEEP = "[" * 5000 + "]" * 5000  # deeper than Python's recursion limit, within Postgres's


@pytest.mark.parametrize(
    "raw_json",
    [
        '{"clips": {"clips": [], "deep": ' + DEEP + "}}",  # a deep jsonb object
        json.dumps('{"clips": ' + DEEP + "}"),  # deep JSON text at the top
        json.dumps({"clips": '{"clips": ' + DEEP + "}"}),  # deep JSON text one level down
    ],
    ids=["jsonb", "text-top", "text-clips"],
)
async def test_deep_nesting_returns_none_with_one_line(
    db_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture, raw_json: str
) -> None:
    job = await new_job(db_pool)
    await db_pool.execute(
        """INSERT INTO job_stages (job_id, stage_name, metadata)
           VALUES ($1, 'video_generator', $2::text::jsonb)""", job, raw_json,
    )
    caplog.set_level(logging.INFO, logger=LOADER)
    assert await load_clips_from_job_stages(job) is None
    lines = loader_lines(caplog)
    assert len(lines) == 1 and "video_generator" in lines[0], lines
