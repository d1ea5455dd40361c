"""Write job rows directly, in the shapes a pipeline might have left them, and check what
persist left in them (test helpers)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

import asyncpg


async def new_job(pool: asyncpg.Pool) -> UUID:
    """A job row with no stages yet."""
    job = uuid4()
    await pool.execute("INSERT INTO jobs (id) VALUES ($1)", job)
    return job


async def set_stage(pool: asyncpg.Pool, job: UUID, stage: str, metadata: Any) -> None:
    """Upsert one stage. A Python str is stored as a jsonb *string* (JSON text, maybe invalid);
    None is SQL NULL; anything else is stored as a JSON value."""
    await pool.execute(
        """INSERT INTO job_stages (job_id, stage_name, metadata) VALUES ($1, $2, $3)
           ON CONFLICT (job_id, stage_name) DO UPDATE SET metadata = EXCLUDED.metadata""",
        job, stage, metadata,
    )


async def drop_stage(pool: asyncpg.Pool, job: UUID, stage: str) -> None:
    await pool.execute("DELETE FROM job_stages WHERE job_id = $1 AND stage_name = $2", job, stage)


async def stage_metadata(pool: asyncpg.Pool, job: UUID, stage: str) -> Any:
    return await pool.fetchval(
        "SELECT metadata FROM job_stages WHERE job_id = $1 AND stage_name = $2", job, stage
    )


def _clip_list(text: str | None) -> list[Any] | None:
    """The clip entries of a video_generator stage (its jsonb as text) in any stored form
    (the stage and its list as JSON or as JSON text, the list nested or flat); None when
    unreadable."""
    try:
        value = json.loads(text)
        value = json.loads(value) if isinstance(value, str) else value
        clips = value["clips"]
        clips = json.loads(clips) if isinstance(clips, str) else clips
        clips = clips["clips"] if isinstance(clips, dict) else clips
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    return clips if isinstance(clips, list) else None


async def version_problems(pool: asyncpg.Pool, job: UUID) -> list[str]:
    """What breaks "one current version per clip, and the clip's entry shows it", for
    every clip of the job with saved versions: an empty list when nothing does."""
    rows = await pool.fetch(
        "SELECT clip_index, version_number, video_url, is_current FROM clip_versions"
        " WHERE job_id = $1 ORDER BY clip_index, version_number", job)
    clips = _clip_list(await pool.fetchval(
        "SELECT metadata::text FROM job_stages WHERE job_id = $1 AND stage_name = $2",
        job, "video_generator")) or []
    entries = {c.get("clip_index"): c for c in clips if isinstance(c, dict)}
    problems = []
    for clip in sorted({r["clip_index"] for r in rows}):
        current = [r for r in rows if r["clip_index"] == clip and r["is_current"]]
        if len(current) != 1:
            problems.append(f"clip {clip}: {len(current)} current versions "
                            f"{[r['version_number'] for r in current]}")
        elif clip in entries and entries[clip].get("video_url") != current[0]["video_url"]:
            problems.append(f"clip {clip}: the entry shows {entries[clip].get('video_url')}, "
                            f"the current version {current[0]['version_number']} is "
                            f"{current[0]['video_url']}")
    return problems
