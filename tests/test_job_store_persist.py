"""persist_clip_version against a real Postgres: versions, idempotence, isolation, concurrency."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from uuid import UUID

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.sample_data import read_sample
from tests.support.job_rows import drop_stage, set_stage, stage_metadata
from workflows import error_types
from workflows.step_models import ClipRef, PersistRequest, PersistResult

# Every test ends with one current version per clip, shown by the clip's entry.
pytestmark = pytest.mark.usefixtures("one_current_version_per_clip")


def request(job: UUID, index: int, regeneration_id: str, **changes) -> PersistRequest:
    """A persist request; the regeneration id is made unique per job (ids are global)."""
    fields = dict(
        job_id=job, clip_index=index, regeneration_id=f"{job}/{regeneration_id}",
        video_url=f"https://videos.example/{regeneration_id}.mp4",
        prompt=f"new prompt from {regeneration_id}", negative_prompt=None,
        user_instruction="make it nighttime", seed=424242, temperature=0.35,
        duration_seconds=6.0, cost_usd=Decimal("2.40"), generation_seconds=71.5,
    )
    return PersistRequest(**(fields | changes))


async def persist(pool: asyncpg.Pool, req: PersistRequest) -> PersistResult:
    return await ActivityEnvironment().run(JobStoreActivities(pool).persist_clip_version, req)


async def versions(pool: asyncpg.Pool, job: UUID, index: int) -> list[dict]:
    rows = await pool.fetch(
        """SELECT version_number, video_url, prompt, negative_prompt, user_instruction,
                  generation_seed, temperature, is_current, regeneration_id,
                  duration_seconds, cost_usd
           FROM clip_versions WHERE job_id = $1 AND clip_index = $2 ORDER BY version_number""",
        job, index,
    )
    return [dict(r) for r in rows]


def clips_of(metadata: dict) -> list[dict]:
    return metadata["clips"]["clips"]


async def test_first_persist_records_the_original_and_the_new_version(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    _, fixture = read_sample(job_id=sample_job_id)
    original = clips_of(fixture["video_generator"])[0]
    result = await persist(db_pool, request(sample_job_id, 0, "regen-a", negative_prompt="no rain"))
    assert result == PersistResult(version_number=2, created=True)
    v1, v2 = await versions(db_pool, sample_job_id, 0)
    assert v1 == {
        "version_number": 1, "video_url": original["video_url"],
        "prompt": fixture["prompt_generator"]["clip_prompts"][0]["prompt"],
        "negative_prompt": "blurry, distorted hands, extra limbs, text artifacts",
        "user_instruction": None, "generation_seed": 1000, "temperature": None,
        "is_current": False, "regeneration_id": None,
        "duration_seconds": original["actual_duration"], "cost_usd": Decimal(original["cost"]),
    }
    assert v2 == {
        "version_number": 2, "video_url": "https://videos.example/regen-a.mp4",
        "prompt": "new prompt from regen-a", "negative_prompt": "no rain",
        "user_instruction": "make it nighttime", "generation_seed": 424242, "temperature": 0.35,
        "is_current": True, "regeneration_id": f"{sample_job_id}/regen-a",
        "duration_seconds": 6.0, "cost_usd": Decimal("2.40"),
    }


async def test_only_that_clips_entry_changes(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    _, fixture = read_sample(job_id=sample_job_id)
    before = fixture["video_generator"]
    await persist(db_pool, request(sample_job_id, 3, "regen-b"))
    after = await stage_metadata(db_pool, sample_job_id, "video_generator")

    expected_clip = clips_of(before)[3] | {  # target 4.0 s; this generation delivered 6 s
        "video_url": "https://videos.example/regen-b.mp4",
        "prompt": "new prompt from regen-b",
        "temperature": 0.35,
        "metadata": {"model": "veo-3.1-generate-preview", "generation_seed": 424242},
        "actual_duration": 6.0, "duration_diff": 2.0, "cost": "2.4000",
        "status": "success", "generation_time": 71.5,
    }
    assert clips_of(after)[3] == expected_clip
    for i in (0, 1, 2, 4, 5):
        assert clips_of(after)[i] == clips_of(before)[i]
    strip = lambda m: {k: v for k, v in m["clips"].items() if k != "clips"}  # noqa: E731
    assert strip(after) == strip(before) and after.keys() == before.keys()
    for stage in ("prompt_generator", "scene_planner", "reference_generator"):
        assert await stage_metadata(db_pool, sample_job_id, stage) == fixture[stage]


async def test_repeating_a_regeneration_id_changes_nothing(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    first = await persist(db_pool, request(sample_job_id, 1, "regen-c"))
    metadata = await stage_metadata(db_pool, sample_job_id, "video_generator")
    rows = await versions(db_pool, sample_job_id, 1)
    again = await persist(db_pool, request(sample_job_id, 1, "regen-c", prompt="a different prompt"))
    assert first == PersistResult(version_number=2, created=True)
    assert again == PersistResult(version_number=2, created=False)
    assert await stage_metadata(db_pool, sample_job_id, "video_generator") == metadata
    assert await versions(db_pool, sample_job_id, 1) == rows


async def test_versions_count_up_and_one_is_current(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    for n, regen in enumerate(["r1", "r2", "r3"], start=2):
        assert (await persist(db_pool, request(sample_job_id, 2, regen, seed=n))).version_number == n
    rows = await versions(db_pool, sample_job_id, 2)
    assert [r["version_number"] for r in rows] == [1, 2, 3, 4]
    assert [r["is_current"] for r in rows] == [False, False, False, True]
    ctx = await ActivityEnvironment().run(
        JobStoreActivities(db_pool).load_clip_context, ClipRef(job_id=sample_job_id, clip_index=2)
    )
    assert (ctx.original_seed, ctx.prompt) == (4, "new prompt from r3")


async def test_concurrent_persists_of_different_clips_all_land(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    results = await asyncio.gather(
        *(persist(db_pool, request(sample_job_id, i, f"par-{i}", seed=100 + i)) for i in range(6))
    )
    assert all(r == PersistResult(version_number=2, created=True) for r in results)
    clips = clips_of(await stage_metadata(db_pool, sample_job_id, "video_generator"))
    for i, clip in enumerate(clips):
        assert clip["video_url"] == f"https://videos.example/par-{i}.mp4"
        assert clip["metadata"]["generation_seed"] == 100 + i


async def test_concurrent_repeats_of_one_regeneration_write_once(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    results = await asyncio.gather(*(persist(db_pool, request(sample_job_id, 4, "dup")) for _ in range(4)))
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert {r.version_number for r in results} == {2}
    assert len(await versions(db_pool, sample_job_id, 4)) == 2


async def test_metadata_stored_as_json_text_stays_json_text(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    _, fixture = read_sample(job_id=sample_job_id)
    await set_stage(db_pool, sample_job_id, "video_generator", json.dumps(fixture["video_generator"]))
    assert (await persist(db_pool, request(sample_job_id, 5, "text-md"))).created
    stored = await stage_metadata(db_pool, sample_job_id, "video_generator")
    assert isinstance(stored, str)  # still a jsonb string holding JSON text
    after = json.loads(stored)
    assert clips_of(after)[5]["video_url"] == "https://videos.example/text-md.mp4"
    assert clips_of(after)[:5] == clips_of(fixture["video_generator"])[:5]


async def test_a_clips_list_stored_as_json_text_stays_json_text(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    _, fixture = read_sample(job_id=sample_job_id)
    video = fixture["video_generator"]
    await set_stage(db_pool, sample_job_id, "video_generator", {"clips": json.dumps(video["clips"])})
    await persist(db_pool, request(sample_job_id, 2, "text-clips"))
    stored = await stage_metadata(db_pool, sample_job_id, "video_generator")
    assert isinstance(stored["clips"], str)
    clips = json.loads(stored["clips"])
    assert clips["clips"][2]["video_url"] == "https://videos.example/text-clips.mp4"
    assert clips["clips"][:2] == video["clips"]["clips"][:2]
    assert clips["total_cost"] == video["clips"]["total_cost"]


async def test_values_it_does_not_change_keep_their_exact_stored_numbers(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    """Numbers beyond a float's precision survive: the merge happens in Postgres."""
    exact = "0.12345678901234567890123"
    await db_pool.execute(
        """UPDATE job_stages SET metadata = jsonb_set(metadata, '{clips,clips,0,lufs}', $2::text::jsonb)
           WHERE job_id = $1 AND stage_name = 'video_generator'""", sample_job_id, exact,
    )
    await persist(db_pool, request(sample_job_id, 0, "exact"))
    assert await db_pool.fetchval(
        """SELECT metadata #>> '{clips,clips,0,lufs}' FROM job_stages
           WHERE job_id = $1 AND stage_name = 'video_generator'""", sample_job_id,
    ) == exact


async def test_a_flat_clips_list_is_updated_at_its_own_path(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    _, fixture = read_sample(job_id=sample_job_id)
    flat = {"clips": clips_of(fixture["video_generator"]), "total_clips": 6}
    await set_stage(db_pool, sample_job_id, "video_generator", flat)
    await persist(db_pool, request(sample_job_id, 1, "flat"))
    after = await stage_metadata(db_pool, sample_job_id, "video_generator")
    assert after["clips"][1]["video_url"] == "https://videos.example/flat.mp4"
    assert after["total_clips"] == 6 and len(after["clips"]) == 6


async def persist_error(pool: asyncpg.Pool, req: PersistRequest) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        await persist(pool, req)
    assert caught.value.non_retryable is True
    return caught.value


async def test_unknown_clip_writes_nothing(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    error = await persist_error(db_pool, request(sample_job_id, 9, "nope"))
    assert error.type == error_types.CLIP_NOT_FOUND and "Clip 9" in error.message
    assert await db_pool.fetchval("SELECT count(*) FROM clip_versions WHERE job_id = $1", sample_job_id) == 0


async def test_missing_video_stage_is_stage_missing(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    await drop_stage(db_pool, sample_job_id, "video_generator")
    error = await persist_error(db_pool, request(sample_job_id, 0, "nostage"))
    assert error.type == error_types.STAGE_MISSING and "video_generator" in error.message


async def test_unreadable_metadata_is_invalid_metadata(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    await set_stage(db_pool, sample_job_id, "video_generator", "{broken")
    error = await persist_error(db_pool, request(sample_job_id, 0, "broken"))
    assert error.type == error_types.INVALID_METADATA


async def test_a_regeneration_id_of_another_clip_is_refused(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    await persist(db_pool, request(sample_job_id, 0, "shared-id"))
    error = await persist_error(db_pool, request(sample_job_id, 1, "shared-id"))
    assert error.type == error_types.INVALID_INPUT and "shared-id" in error.message
    await persist(db_pool, request(sample_job_id, 2, "later-id"))  # a higher clip: either side
    assert (await persist_error(db_pool, request(sample_job_id, 1, "later-id"))).type == (
        error_types.INVALID_INPUT)
    assert await versions(db_pool, sample_job_id, 1) == []


async def test_a_deeply_nested_clip_is_invalid_metadata(db_pool: asyncpg.Pool, sample_job_id: UUID) -> None:
    deep = "[" * 5000 + "]" * 5000  # deeper than Python's recursion limit
    await db_pool.execute(
        """UPDATE job_stages SET metadata = jsonb_set(metadata, '{clips,clips,0,deep}', $2::text::jsonb)
           WHERE job_id = $1 AND stage_name = 'video_generator'""", sample_job_id, deep,
    )
    error = await persist_error(db_pool, request(sample_job_id, 0, "deep"))
    assert error.type == error_types.INVALID_METADATA and "nested too deeply" in error.message
    assert await versions(db_pool, sample_job_id, 0) == []


async def test_each_version_records_the_policy_version_that_planned_it(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    await persist(db_pool, request(sample_job_id, 1, "regen-policy", policy_version=7))
    await persist(db_pool, request(sample_job_id, 1, "regen-older"))  # a request without one
    rows = await db_pool.fetch(
        "SELECT version_number, policy_version FROM clip_versions"
        " WHERE job_id = $1 AND clip_index = 1 ORDER BY version_number",
        sample_job_id,
    )
    # Version 1 is the pipeline's original clip: no Retake policy planned it.
    assert [tuple(r) for r in rows] == [(1, None), (2, 7), (3, None)]


async def test_a_late_video_is_saved_not_current_and_becomes_current_when_asked_again(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    before = clips_of(await stage_metadata(db_pool, sample_job_id, "video_generator"))
    late = request(sample_job_id, 1, "regen-late", make_current=False)
    assert await persist(db_pool, late) == PersistResult(version_number=2, created=True)
    assert [(v["version_number"], v["is_current"]) for v in await versions(
        db_pool, sample_job_id, 1)] == [(1, True), (2, False)]
    assert clips_of(await stage_metadata(db_pool, sample_job_id, "video_generator")) == before
    assert await persist(db_pool, late) == PersistResult(version_number=2, created=False)

    # The same regeneration asked for again (a retried request id, a reset run).
    again = await persist(db_pool, late.model_copy(update={"make_current": True}))
    assert again == PersistResult(version_number=2, created=False)
    assert [(v["version_number"], v["is_current"]) for v in await versions(
        db_pool, sample_job_id, 1)] == [(1, False), (2, True)]
    after = clips_of(await stage_metadata(db_pool, sample_job_id, "video_generator"))
    assert after[1]["video_url"] == late.video_url
    assert [c for i, c in enumerate(after) if i != 1] == [c for i, c in enumerate(before) if i != 1]


async def current_versions_per_clip(pool: asyncpg.Pool, job: UUID) -> dict[int, int]:
    """clip index -> how many of its versions are current, for every clip with versions."""
    rows = await pool.fetch(
        "SELECT clip_index, count(*) FILTER (WHERE is_current) AS current FROM clip_versions"
        " WHERE job_id = $1 GROUP BY clip_index ORDER BY clip_index", job)
    return {r["clip_index"]: r["current"] for r in rows}


async def test_every_clip_of_the_job_keeps_exactly_one_current_version(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    """Regenerating one clip retires only that clip's current version (issue 35: a retire
    that ignored clip_index would leave the job's other clips with none)."""
    for index in range(6):
        await persist(db_pool, request(sample_job_id, index, f"first-{index}"))
    assert await current_versions_per_clip(db_pool, sample_job_id) == dict.fromkeys(range(6), 1)
    for regen in ("again-1", "again-2"):
        await persist(db_pool, request(sample_job_id, 3, regen))
    late = request(sample_job_id, 1, "late", make_current=False)
    await persist(db_pool, late)
    assert await current_versions_per_clip(db_pool, sample_job_id) == dict.fromkeys(range(6), 1)
    current = await db_pool.fetch(
        "SELECT clip_index, video_url FROM clip_versions WHERE job_id = $1 AND is_current"
        " ORDER BY clip_index", sample_job_id)
    assert [r["video_url"] for r in current] == [
        f"https://videos.example/{name}.mp4"
        for name in ("first-0", "first-1", "first-2", "again-2", "first-4", "first-5")]


async def test_the_frames_a_version_was_joined_to_are_saved_once(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    joined = {"used": True, "first_frame": {"clip": 0, "version": 2, "end": "last"}}
    await persist(db_pool, request(sample_job_id, 1, "joined", continuity=joined))
    await persist(db_pool, request(sample_job_id, 1, "alone"))
    rows = await db_pool.fetch(
        "SELECT version_number, continuity FROM clip_versions WHERE job_id = $1 AND clip_index = 1"
        " ORDER BY version_number", sample_job_id)
    assert [(r["version_number"], r["continuity"]) for r in rows] == [(1, None), (2, joined), (3, None)]

