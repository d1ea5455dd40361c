"""Activities over a clip's saved versions: list them, and make one current again.

A revert deletes nothing: in one transaction, with the clip's stage row locked like
persist_clip_version locks it, the chosen clip_versions row becomes the current one,
the clip's entry in the video_generator stage describes it again (clip_entry.py), and
the revert itself
is recorded in clip_reverts (migration 007). Its revert id makes a retry a no-op.
"""

from __future__ import annotations

import asyncpg
from temporalio import activity

from activities import errors
from activities.job_store import queries as sql
from activities.job_store.clip_entry import version_changes
from activities.job_store.job_store_activities import (
    CONNECTION_FAULTS,
    database_unavailable,
    in_transaction,
    locate_clip,
)
from workflows import error_types
from workflows.step_models import RevertRequest
from workflows.version_models import (
    ClipRevertRecord,
    ClipVersion,
    ClipVersions,
    ClipVersionsInput,
    RevertClipResult,
)


def _version(row: asyncpg.Record) -> ClipVersion:
    return ClipVersion(
        number=row["version_number"],
        current=row["is_current"],
        instruction=row["user_instruction"],
        prompt=row["prompt"],
        negative_prompt=row["negative_prompt"],
        seed=row["generation_seed"],
        temperature=row["temperature"],
        policy_version=row["policy_version"],
        cost_usd=row["cost_usd"],
        duration_seconds=row["duration_seconds"],
        created_at=row["created_at"],
        video_url=row["video_url"],
        continuity=row["continuity"],  # jsonb, decoded by the pool's codec
    )


class ClipVersionActivities:
    """Reads and reverts clip versions; shares the worker's asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @activity.defn
    async def list_clip_versions(self, ref: ClipVersionsInput) -> ClipVersions:
        """Every saved version of one clip and every revert of it, oldest first."""
        try:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(sql.LIST_VERSIONS, ref.job_id, ref.clip_index)
                reverts = await conn.fetch(sql.LIST_REVERTS, ref.job_id, ref.clip_index)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable(f"listing versions of clip {ref.clip_index}", exc) from exc
        return ClipVersions(
            job_id=ref.job_id,
            clip_index=ref.clip_index,
            versions=[_version(r) for r in rows],
            reverts=[ClipRevertRecord(**dict(r)) for r in reverts],
        )

    @activity.defn
    async def revert_clip_version(self, req: RevertRequest) -> RevertClipResult:
        """Make `req.version` current again, atomically and idempotently; record the revert."""
        return await in_transaction(self.pool, f"reverting clip {req.clip_index}", self._revert, req)

    async def _revert(self, conn: asyncpg.Connection, req: RevertRequest) -> RevertClipResult:
        stage_id = await conn.fetchval(sql.LOCK_STAGE, req.job_id)
        target = await conn.fetchrow(sql.FIND_VERSION, req.job_id, req.clip_index, req.version)
        done = await conn.fetchrow(sql.FIND_REVERT, req.revert_id)
        if done is not None:  # a retry of a revert already made
            return self._result(req, target, done["from_version"])
        if target is None:
            numbers = [r["version_number"] for r in
                       await conn.fetch(sql.LIST_VERSIONS, req.job_id, req.clip_index)]
            have = f"versions {', '.join(map(str, numbers))}" if numbers else "no saved versions"
            raise errors.non_retryable(
                f"Clip {req.clip_index} of job {req.job_id} has no version {req.version} "
                f"(it has {have}). List them with `starter.py versions` and pick one.",
                error_types.VERSION_NOT_FOUND,
            )
        where = await locate_clip(conn, stage_id, req.job_id, req.clip_index)
        previous = await conn.fetchval(sql.CURRENT_VERSION, req.job_id, req.clip_index)
        await conn.execute(sql.RETIRE_CURRENT, req.job_id, req.clip_index)
        await conn.execute(sql.MAKE_CURRENT, target["id"])
        await conn.execute(sql.PATCH_CLIP_ENTRY, stage_id, where["position"],
                           version_changes(where["clip"], target))
        await conn.execute(sql.INSERT_REVERT, req.job_id, req.clip_index, previous,
                           req.version, req.revert_id)
        return self._result(req, target, previous)

    def _result(self, req: RevertRequest, target: asyncpg.Record,
                previous: int | None) -> RevertClipResult:
        return RevertClipResult(
            job_id=req.job_id,
            clip_index=req.clip_index,
            version=req.version,
            previous_version=previous,
            video_url=target["video_url"],
            prompt=target["prompt"],
        )
