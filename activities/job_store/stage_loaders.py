"""The original module's four loaders: one pipeline stage of a job -> its model, or None.

Public API (the original seed-clip-regenerator module's loaders): each loader returns None
when the stage is missing, its metadata is empty, not valid JSON, fails validation,
or the database cannot be reached. Each failure logs one clear line; none raises,
so callers decide what missing data means. Metadata may be stored as a JSON object
or as a jsonb string holding JSON text; clips are nested as metadata['clips']['clips'].
"""

from __future__ import annotations

import json
import logging
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from activities.errors import redact
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

_STAGE_SQL = "SELECT metadata FROM job_stages WHERE job_id = $1 AND stage_name = $2"


def _one_line(text: str, limit: int = 300) -> str:
    return redact(" ".join(text.split()))[:limit]


def _parse(value: Any) -> Any:
    """A jsonb string holding JSON text becomes the JSON it holds."""
    return json.loads(value) if isinstance(value, str) else value


def _unwrap(metadata: dict[str, Any], key: str) -> dict[str, Any]:
    """metadata[key] when it is the nested object (metadata['clips']['clips']), else metadata."""
    inner = _parse(metadata.get(key))
    return inner if isinstance(inner, dict) else metadata


async def _load_stage(
    job_id: UUID, stage_name: str, model: type[M], nested_key: str | None = None
) -> M | None:
    what = f"{stage_name} stage of job {job_id}"
    try:
        pool = await get_shared_pool()
        row = await pool.fetchrow(_STAGE_SQL, job_id, stage_name)
    except Exception as exc:  # the contract: database faults become None, logged
        log.error("Database error loading the %s: %s: %s", what, type(exc).__name__, _one_line(str(exc)))
        return None
    if row is None:
        log.warning("No %s: the job may not have reached this stage yet.", what)
        return None
    metadata = row["metadata"]
    if isinstance(metadata, str) and metadata.strip():
        try:
            metadata = json.loads(metadata)
        except ValueError as exc:
            log.error("Invalid JSON in the metadata of the %s: %s", what, _one_line(str(exc)))
            return None
    if metadata in (None, "", {}, []):
        log.warning("Empty metadata in the %s: nothing to load.", what)
        return None
    if not isinstance(metadata, dict):
        log.error("Metadata of the %s is a JSON %s, expected an object.", what, type(metadata).__name__)
        return None
    try:
        data = _unwrap(metadata, nested_key) if nested_key else metadata
        data = {"job_id": job_id, **data}
        return model.model_validate(data)
    except ValueError as exc:  # ValidationError, or nested JSON text that does not parse
        detail = first_validation_error(exc) if isinstance(exc, ValidationError) else _one_line(str(exc))
        log.error("Metadata of the %s does not match %s: %s", what, model.__name__, detail)
        return None


async def load_clips_from_job_stages(job_id: UUID) -> Clips | None:
    """Clips of the `video_generator` stage (metadata['clips']['clips'])."""
    return await _load_stage(job_id, "video_generator", Clips, nested_key="clips")


async def load_clip_prompts_from_job_stages(job_id: UUID) -> ClipPrompts | None:
    """ClipPrompts of the `prompt_generator` stage."""
    return await _load_stage(job_id, "prompt_generator", ClipPrompts, nested_key="clip_prompts")


async def load_scene_plan_from_job_stages(job_id: UUID) -> ScenePlan | None:
    """ScenePlan of the `scene_planner` stage."""
    return await _load_stage(job_id, "scene_planner", ScenePlan)


async def load_reference_images_from_job_stages(job_id: UUID) -> ReferenceImages | None:
    """ReferenceImages of the `reference_generator` stage."""
    return await _load_stage(job_id, "reference_generator", ReferenceImages)
