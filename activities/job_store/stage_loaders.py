"""The original module's four loaders: one pipeline stage of a job -> its model, or None.

Public API (the original seed-clip-regenerator module's loaders): each loader returns None
when the stage is missing, its metadata is empty, not valid JSON, nested beyond what can
be read, fails validation, or the database cannot be reached. Each failure logs one clear
line; none raises, so callers decide what missing data means. The stored forms they read
(JSON object or JSON text, flat or nested lists) are described in stage_json.py.

Each loader uses the given asyncpg `pool`, or else the shared pool of the running event
loop (activities/postgres/pool.py), so loaders work from any number of `asyncio.run`s.
The job id of the result is always the one asked for, whatever the metadata says.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ValidationError

from activities.errors import redact
from activities.job_store.stage_json import list_body, parse_text
from activities.job_store.stage_models import (
    ClipPrompts,
    Clips,
    ReferenceImages,
    ScenePlan,
    first_validation_error,
)
from activities.postgres.pool import get_shared_pool

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

# As text: decoding is part of reading the data (its faults are the data's, not the database's).
_STAGE_SQL = "SELECT metadata::text AS metadata FROM job_stages WHERE job_id = $1 AND stage_name = $2"


class _Unreadable(Exception):
    """The stage's metadata cannot become the model; the message is the log line."""


def _one_line(text: str, limit: int = 300) -> str:
    return redact(" ".join(text.split()))[:limit]


def _decode(text: str | None, what: str) -> Any:
    """The stored metadata as Python: JSON text inside a jsonb string is parsed too."""
    try:
        value = parse_text(text)
        return parse_text(value) if isinstance(value, str) and value.strip() else value
    except ValueError as exc:
        raise _Unreadable(f"Invalid JSON in the metadata of the {what}: {_one_line(str(exc))}") from None


def _to_model(metadata: Any, job_id: UUID, what: str, model: type[M], nested_key: str | None) -> M:
    if not isinstance(metadata, dict):
        raise _Unreadable(f"Metadata of the {what} is a JSON {type(metadata).__name__}, expected an object.")
    try:
        data = list_body(metadata, nested_key) if nested_key else metadata
        return model.model_validate({**data, "job_id": job_id})  # the job asked for wins
    except ValueError as exc:  # ValidationError, or nested JSON text that does not parse
        detail = first_validation_error(exc) if isinstance(exc, ValidationError) else _one_line(str(exc))
        raise _Unreadable(f"Metadata of the {what} does not match {model.__name__}: {detail}") from None


async def _load_stage(
    job_id: UUID,
    stage_name: str,
    model: type[M],
    nested_key: str | None = None,
    pool: asyncpg.Pool | None = None,
) -> M | None:
    what = f"{stage_name} stage of job {job_id}"
    try:
        pool = pool or await get_shared_pool()
        row = await pool.fetchrow(_STAGE_SQL, job_id, stage_name)
    except Exception as exc:  # the contract: database faults become None, logged
        log.error("Database error loading the %s: %s: %s", what, type(exc).__name__, _one_line(str(exc)))
        return None
    if row is None:
        log.warning("No %s: the job may not have reached this stage yet.", what)
        return None
    try:
        metadata = _decode(row["metadata"], what)
        if metadata in (None, "", {}, []):
            log.warning("Empty metadata in the %s: nothing to load.", what)
            return None
        return _to_model(metadata, job_id, what, model, nested_key)
    except _Unreadable as exc:
        log.error("%s", exc)
    except RecursionError:
        log.error("Metadata of the %s is nested too deeply to read.", what)
    except Exception as exc:  # the contract: never raise; say what happened in one line
        log.error("Metadata of the %s could not be read: %s: %s", what, type(exc).__name__,
                  _one_line(str(exc)))
    return None


async def load_clips_from_job_stages(job_id: UUID, pool: asyncpg.Pool | None = None) -> Clips | None:
    """Clips of the `video_generator` stage (metadata['clips']['clips'], or a flat list)."""
    return await _load_stage(job_id, "video_generator", Clips, "clips", pool)


async def load_clip_prompts_from_job_stages(
    job_id: UUID, pool: asyncpg.Pool | None = None
) -> ClipPrompts | None:
    """ClipPrompts of the `prompt_generator` stage."""
    return await _load_stage(job_id, "prompt_generator", ClipPrompts, "clip_prompts", pool)


async def load_scene_plan_from_job_stages(
    job_id: UUID, pool: asyncpg.Pool | None = None
) -> ScenePlan | None:
    """ScenePlan of the `scene_planner` stage."""
    return await _load_stage(job_id, "scene_planner", ScenePlan, None, pool)


async def load_reference_images_from_job_stages(
    job_id: UUID, pool: asyncpg.Pool | None = None
) -> ReferenceImages | None:
    """ReferenceImages of the `reference_generator` stage."""
    return await _load_stage(job_id, "reference_generator", ReferenceImages, None, pool)
