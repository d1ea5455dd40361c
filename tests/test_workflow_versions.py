"""Versions and revert on the dev server, against the real Postgres.

A revert runs on the clip's own workflow id: refused while the clip is regenerated,
it deletes nothing, points the clip at the chosen version, and is itself recorded.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from uuid import uuid4

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.testing import ActivityEnvironment

from activities.job_store.version_activities import ClipVersionActivities
from retake.client import list_versions, revert_clip, start_regeneration
from tests.support.temporal import retake_settings
from tests.test_workflow_e2e import clip_entries, record, request, versions, wait_for_stage
from workflows import error_types
from workflows.conventions import workflow_id_for
from workflows.decisions import POLICY_VERSION
from workflows.step_models import RevertRequest

# Every test ends with one current version per clip of the sample job, shown by the
# clip's entry (tests/support/postgres.py; issue 35).
pytestmark = pytest.mark.usefixtures("one_current_version_per_clip")


async def regenerate(client, task_queue, inp):
    return await (await start_regeneration(client, inp, task_queue=task_queue)).result()


async def versions_run(client, job_id):
    """The ListClipVersionsWorkflow run of this job (visibility is eventually consistent)."""
    query = f'WorkflowType = "ListClipVersionsWorkflow" AND JobId = "{job_id}"'
    async with asyncio.timeout(30):
        while not (found := [w async for w in client.list_workflows(query)]):
            await asyncio.sleep(0.2)
    return client.get_workflow_handle(found[0].id)


async def reverts(db_pool, job_id) -> list[tuple]:
    rows = await db_pool.fetch(
        "SELECT clip_index, from_version, to_version FROM clip_reverts WHERE job_id = $1 "
        "ORDER BY id", job_id)
    return [tuple(r) for r in rows]


async def test_versions_list_and_revert_keeps_everything_and_records_itself(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool
):
    original = (await clip_entries(db_pool, sample_job_id))[2]
    async with run_worker(retake_settings(tmp_path)):
        first = await regenerate(temporal_client, task_queue, request(sample_job_id, 2, "make it nighttime"))
        second = await regenerate(temporal_client, task_queue, request(sample_job_id, 2, "make it darker"))
        listed = await list_versions(temporal_client, sample_job_id, 2, task_queue=task_queue)
        await record(await versions_run(temporal_client, sample_job_id), "list_versions")

        assert [v.number for v in listed.versions] == [1, 2, 3]
        assert [v.current for v in listed.versions] == [False, False, True]
        v1, v2, v3 = listed.versions
        assert v1.instruction is None and v1.video_url == original["video_url"]
        assert v1.cost_usd == (Decimal(original["cost"]) if original.get("cost") else None)
        assert v2.instruction == "make it nighttime" and v2.prompt == first.prompt
        assert v2.seed == first.seed and v2.temperature == first.temperature
        assert v2.policy_version == first.policy_version == POLICY_VERSION
        assert v2.cost_usd == first.cost_estimate_usd and v2.video_url == first.video_url
        assert v3.video_url == second.video_url

        handle = temporal_client.get_workflow_handle(workflow_id_for(sample_job_id, 2))
        reverted = await revert_clip(temporal_client, sample_job_id, 2, 1, task_queue=task_queue)
        await record(handle, "revert")
        assert (reverted.version, reverted.previous_version) == (1, 3)
        assert reverted.video_url == original["video_url"]

        after = await list_versions(temporal_client, sample_job_id, 2, task_queue=task_queue)
        assert [v.current for v in after.versions] == [True, False, False]  # nothing deleted
        assert [(r.from_version, r.to_version) for r in after.reverts] == [(3, 1)]
        entry = (await clip_entries(db_pool, sample_job_id))[2]
        assert entry["video_url"] == original["video_url"] and entry["prompt"] == v1.prompt

        # A regeneration after a revert adds version 4 on top; the history stays whole.
        third = await regenerate(temporal_client, task_queue, request(sample_job_id, 2, "make it brighter"))
    assert third.version == 4
    rows = await versions(db_pool, sample_job_id, 2)
    assert [(r["version_number"], r["is_current"]) for r in rows] == [
        (1, False), (2, False), (3, False), (4, True)]
    assert await reverts(db_pool, sample_job_id) == [(2, 3, 1)]


async def test_revert_is_refused_while_the_clip_is_regenerated_and_for_a_missing_version(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, db_pool, veo_emulator
):
    veo_emulator.reset()
    veo_emulator.configure(job_seconds=0.2)
    async with run_worker(retake_settings(tmp_path, veo=veo_emulator)):
        await regenerate(temporal_client, task_queue, request(sample_job_id, 1, "make it darker"))
        veo_emulator.configure(job_seconds=600)
        busy = await start_regeneration(
            temporal_client, request(sample_job_id, 1, "make it nighttime"), task_queue=task_queue)
        await wait_for_stage(busy, "waiting")  # paid and generating
        with pytest.raises(WorkflowAlreadyStartedError):
            await revert_clip(temporal_client, sample_job_id, 1, 1, task_queue=task_queue)
        await busy.cancel()
        with pytest.raises(WorkflowFailureError):
            await busy.result()  # closed: the clip's id is free again

        with pytest.raises(WorkflowFailureError) as failure:
            await revert_clip(temporal_client, sample_job_id, 1, 7, task_queue=task_queue)
        handle = temporal_client.get_workflow_handle(workflow_id_for(sample_job_id, 1))
        await record(handle, "revert_missing_version")
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_types.VERSION_NOT_FOUND
    assert "versions 1, 2" in cause.message
    assert [r["is_current"] for r in await versions(db_pool, sample_job_id, 1)] == [False, True]
    assert await reverts(db_pool, sample_job_id) == []
    assert veo_emulator.counters()["submissions_accepted"] == 2  # no revert ever pays


async def test_a_retried_revert_is_recorded_once(sample_job_id, db_pool, tmp_path,
                                                 run_worker, temporal_client, task_queue):
    async with run_worker(retake_settings(tmp_path)):
        await regenerate(temporal_client, task_queue, request(sample_job_id, 0, "make it darker"))
    # revert ids are global: a fresh one, so the test also passes on a kept TEST_DATABASE_URL
    req = RevertRequest(job_id=sample_job_id, clip_index=0, version=1, revert_id=f"wf/{uuid4()}")
    revert = ClipVersionActivities(db_pool).revert_clip_version
    first = await ActivityEnvironment().run(revert, req)
    again = await ActivityEnvironment().run(revert, req)
    assert first == again and first.previous_version == 2
    assert await reverts(db_pool, sample_job_id) == [(0, 2, 1)]
