"""ClipVersionActivities called directly against the real Postgres: list a clip's versions,
revert to one, retry the revert, refuse a missing version or stage, fail retryably when
the database cannot be reached. Fast (no worker): the mutation target `versions` runs it
per mutant; tests/test_workflow_versions.py shows the same through the workflows.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest
from temporalio.activity import _Definition
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.sample_data import read_sample
from activities.job_store.version_activities import ClipVersionActivities
from tests.support.job_rows import drop_stage, stage_metadata
from tests.test_job_store_persist import clips_of, persist, request
from workflows import error_types
from workflows.step_models import RevertRequest
from workflows.version_models import ClipVersionsInput

pytestmark = pytest.mark.usefixtures("one_current_version_per_clip")


async def listed(pool: asyncpg.Pool, job: UUID, index: int):
    return await ActivityEnvironment().run(
        ClipVersionActivities(pool).list_clip_versions, ClipVersionsInput(job_id=job, clip_index=index))


async def revert(pool: asyncpg.Pool, job: UUID, index: int, version: int, revert_id: str):
    return await ActivityEnvironment().run(
        ClipVersionActivities(pool).revert_clip_version,
        RevertRequest(job_id=job, clip_index=index, version=version, revert_id=revert_id))


async def entry(pool: asyncpg.Pool, job: UUID, index: int) -> dict:
    return next(c for c in clips_of(await stage_metadata(pool, job, "video_generator"))
                if c["clip_index"] == index)


async def test_versions_are_listed_whole_and_a_revert_makes_one_current_once(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    job = sample_job_id
    _, fixture = read_sample(job_id=job)
    original = clips_of(fixture["video_generator"])[1]
    continuity = {"used": True, "first_frame": {"clip": 0, "version": 1}}
    await persist(db_pool, request(job, 1, "r-a", policy_version=2, continuity=continuity))
    await persist(db_pool, request(job, 1, "r-b", negative_prompt="no fog", seed=5))
    await persist(db_pool, request(job, 2, "r-c"))  # another clip: not listed, not touched

    before = await listed(db_pool, job, 1)
    assert (before.job_id, before.clip_index, before.reverts) == (job, 1, [])
    v1, v2, v3 = before.versions
    assert [(v.number, v.current) for v in before.versions] == [(1, False), (2, False), (3, True)]
    assert (v1.instruction, v1.video_url, v1.policy_version) == (None, original["video_url"], None)
    assert (v2.instruction, v2.prompt, v2.seed, v2.temperature) == (
        "make it nighttime", "new prompt from r-a", 424242, 0.35)
    assert (v2.policy_version, v2.continuity, v2.cost_usd, v2.duration_seconds) == (
        2, continuity, Decimal("2.40"), 6.0)
    assert (v3.negative_prompt, v3.seed, v3.continuity) == ("no fog", 5, None)
    assert v3.video_url == "https://videos.example/r-b.mp4" and v1.created_at <= v3.created_at

    revert_id = f"wf/{uuid4()}"
    result = await revert(db_pool, job, 1, 2, revert_id)
    assert (result.job_id, result.clip_index, result.version, result.previous_version) == (
        job, 1, 2, 3)
    assert (result.video_url, result.prompt) == ("https://videos.example/r-a.mp4",
                                                 "new prompt from r-a")
    assert await revert(db_pool, job, 1, 2, revert_id) == result  # a retry: recorded once
    after = await listed(db_pool, job, 1)
    assert [v.current for v in after.versions] == [False, True, False]
    assert [(r.from_version, r.to_version) for r in after.reverts] == [(3, 2)]
    assert (await entry(db_pool, job, 1))["video_url"] == "https://videos.example/r-a.mp4"
    assert (await entry(db_pool, job, 2))["video_url"] == "https://videos.example/r-c.mp4"
    assert [v.current for v in (await listed(db_pool, job, 2)).versions] == [False, True]


async def test_a_missing_version_is_refused_naming_the_ones_there(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    with pytest.raises(ApplicationError) as none:
        await revert(db_pool, sample_job_id, 0, 1, f"wf/{uuid4()}")
    assert none.value.type == error_types.VERSION_NOT_FOUND and none.value.non_retryable
    assert f"Clip 0 of job {sample_job_id} has no version 1 (it has no saved versions)" in (
        none.value.message)
    await persist(db_pool, request(sample_job_id, 0, "r-a"))
    with pytest.raises(ApplicationError) as missing:
        await revert(db_pool, sample_job_id, 0, 7, f"wf/{uuid4()}")
    assert "has no version 7 (it has versions 1, 2)" in missing.value.message
    assert (await listed(db_pool, sample_job_id, 0)).reverts == []


async def test_a_revert_without_the_clips_stage_is_refused(
    db_pool: asyncpg.Pool, sample_job_id: UUID
) -> None:
    await persist(db_pool, request(sample_job_id, 0, "r-a"))
    await drop_stage(db_pool, sample_job_id, "video_generator")
    with pytest.raises(ApplicationError) as info:
        await revert(db_pool, sample_job_id, 0, 1, f"wf/{uuid4()}")
    assert info.value.type == error_types.STAGE_MISSING


async def test_an_unreachable_database_is_a_retryable_fault() -> None:
    pool = await asyncpg.create_pool("postgresql://nobody@127.0.0.1:9/none", min_size=0)
    try:
        for call in (listed(pool, uuid4(), 0), revert(pool, uuid4(), 0, 1, "wf/x")):
            with pytest.raises(ApplicationError) as info:
                await call
            assert info.value.type == error_types.DATABASE_UNAVAILABLE
            assert not info.value.non_retryable
    finally:
        await pool.close()


def test_the_store_and_version_methods_are_registered_as_activities() -> None:
    """As Worker(activities=...) reads them: without @activity.defn a worker cannot run them."""
    names = [_Definition.must_from_callable(method).name for method in (
        JobStoreActivities.load_clip_context, JobStoreActivities.persist_clip_version,
        ClipVersionActivities.list_clip_versions, ClipVersionActivities.revert_clip_version)]
    assert names == ["load_clip_context", "persist_clip_version", "list_clip_versions",
                     "revert_clip_version"]
