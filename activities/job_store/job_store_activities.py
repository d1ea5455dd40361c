"""Activities that read one clip's context and write its new version.

`load_clip_context` makes ONE database round trip and returns only what the
workflow needs about one clip, so history stays small however long the job is.
`persist_clip_version` writes a version in one transaction with the clip's stage
row locked; its regeneration id makes a retried call a no-op.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.job_store import queries as sql
from activities.job_store.clip_entry import entry_changes
from activities.job_store.reference_urls import named_references
from activities.job_store.stage_models import (
    Character,
    Clip,
    ClipPrompt,
    ClipScript,
    Scene,
    Style,
    first_validation_error,
)
from activities.postgres.faults import CONNECTION_FAULTS, database_unavailable
from activities.video.reference_policy import ReferencePolicy
from workflows import error_types
from workflows.step_models import ClipContext, ClipRef, PersistRequest, PersistResult

log = logging.getLogger(__name__)

DEFAULT_TARGET_DURATION = 8.0
SUMMARY_LIMIT = 1200  # characters of scene/style/character summary sent to the LLM

def stored_seed(clip: Clip) -> int | None:
    """metadata.generation_seed when it is an integer; anything else is no seed (warned)."""
    seed = clip.metadata.get("generation_seed")
    if seed is None:
        return None
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    if isinstance(seed, float) and seed.is_integer():
        return int(seed)
    log.warning(
        "Clip %s has a non-integer stored seed %r; treating it as no seed.", clip.clip_index, seed
    )
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _unique(urls: list[str | None]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


def scene_summary(
    video_summary: str | None,
    script: ClipScript | None,
    scenes: list[Scene],
    style: Style | None,
    characters: list[Character],
) -> str:
    """A few short lines about this clip's scene, style and characters, for the LLM."""
    lines: list[str] = []
    if video_summary:
        lines.append(f"Video: {video_summary}")
    for scene in scenes:
        when = f" ({scene.time_of_day})" if scene.time_of_day else ""
        lines.append(f"Scene {scene.id}: {scene.description or ''}{when}".rstrip())
    if style:
        parts = [style.visual_style, style.mood and f"mood {style.mood}",
                 style.lighting and f"lighting {style.lighting}",
                 style.cinematography and f"camera {style.cinematography}"]
        lines.append("Style: " + "; ".join(p for p in parts if p))
    for character in characters:
        looks = character.description
        if character.features:
            f = character.features
            looks = ", ".join(x for x in (f.hair, f.eyes, f.clothing, f.accessories) if x)
        lines.append(f"Character {character.name or character.id}: {looks or character.role or ''}")
    if script:
        shot = [script.camera_angle and f"camera {script.camera_angle}",
                script.motion and f"motion {script.motion}",
                script.beat_intensity and f"beat {script.beat_intensity}"]
        if any(shot):
            lines.append("Shot: " + ", ".join(s for s in shot if s))
    return "\n".join(lines)[:SUMMARY_LIMIT]


def _invalid(message: str) -> ApplicationError:
    return errors.non_retryable(message, error_types.INVALID_METADATA)


def _too_deep(req: ClipRef | PersistRequest) -> ApplicationError:
    """JSON nested past Python's recursion limit: the data is unreadable, retrying cannot help."""
    return _invalid(
        f"The stage metadata of job {req.job_id} around clip {req.clip_index} is nested too "
        "deeply to read. Repair that job's job_stages rows."
    )


def _check_stage(job_id: UUID, states: dict[str, str], stage: str, needed_for: str) -> None:
    state = states.get(stage)
    if state is None:
        raise errors.non_retryable(
            f"Job {job_id} has no '{stage}' stage, which holds {needed_for}. "
            "The job has not finished that stage: wait for it, or check the job id.",
            error_types.STAGE_MISSING,
            stage=stage,
        )
    if state != "ok":
        raise _invalid(
            f"The '{stage}' metadata of job {job_id} is {state.replace('_', ' ')}, so {needed_for} "
            "cannot be read. Repair that job_stages row (a JSON object is expected)."
        )


def _validated(model: type, data: Any, what: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(f"{what} is malformed at {first_validation_error(exc)}. Repair that entry.") from None


def build_context(ref: ClipRef, row: asyncpg.Record) -> ClipContext:
    """The compact context from the one row CLIP_CONTEXT returns; raises typed errors."""
    job_id, index = ref.job_id, ref.clip_index
    if not row["job_exists"]:
        raise errors.non_retryable(
            f"Job {job_id} was not found. Check the job id the chatbot sent.",
            error_types.JOB_NOT_FOUND,
        )
    states: dict[str, str] = row["stage_states"] or {}
    _check_stage(job_id, states, "video_generator", "the clips")
    if row["clip_count"] is None:
        raise _invalid(
            f"The 'video_generator' metadata of job {job_id} has no clips list "
            "(expected metadata['clips']['clips']). Repair that job_stages row."
        )
    if row["clip"] is None:
        count = row["clip_count"]
        span = f"indexes 0 to {count - 1}" if count else "no clips"
        raise errors.non_retryable(
            f"Clip {index} was not found in job {job_id}, which has {count} clips ({span}). "
            "Ask for a clip index in that range.",
            error_types.CLIP_NOT_FOUND,
            clip_count=count,
        )
    _check_stage(job_id, states, "prompt_generator", "the clip prompts")
    if row["prompt"] is None:
        raise _invalid(
            f"The 'prompt_generator' metadata of job {job_id} has no prompt for clip {index}. "
            "Repair that job_stages row."
        )
    clip: Clip = _validated(Clip, row["clip"], f"Clip {index} of job {job_id}")
    prompt: ClipPrompt = _validated(ClipPrompt, row["prompt"], f"The prompt of clip {index}")

    script = scenes = characters = style = None
    if states.get("scene_planner") == "ok":
        try:
            script = ClipScript.model_validate(row["script"]) if row["script"] else None
            scenes = [Scene.model_validate(s) for s in row["scenes"] or []]
            characters = [Character.model_validate(c) for c in row["characters"] or []]
            style = Style.model_validate(row["style"]) if row["style"] else None
        except ValidationError as exc:
            log.warning("Scene plan of job %s is malformed (%s); no scene summary.", job_id,
                        exc.error_count())
            script = scenes = characters = style = None
    else:
        log.warning("Job %s has no readable scene plan; the LLM gets no scene summary.", job_id)

    target = clip.target_duration or prompt.duration
    if not target and script and script.start is not None and script.end is not None:
        target = script.end - script.start
    return ClipContext(
        job_id=job_id,
        clip_index=index,
        prompt=clip.prompt or prompt.prompt,  # a regenerated clip carries its current prompt
        negative_prompt=clip.negative_prompt or prompt.negative_prompt,
        original_seed=stored_seed(clip),
        target_duration=target or DEFAULT_TARGET_DURATION,
        scene_summary=scene_summary(row["video_summary"], script, scenes or [], style,
                                    characters or []),
        scene_reference_urls=_unique([prompt.scene_reference_url, *(row["scene_reference_urls"] or [])]),
        character_reference_urls=_unique(
            [*prompt.character_reference_urls, *(row["character_reference_urls"] or [])]
        ),
    )


async def locate_clip(
    conn: asyncpg.Connection, stage_id: UUID | None, job_id: UUID, clip_index: int
) -> asyncpg.Record:
    """Where the clip sits in its locked stage row (LOCATE_CLIP); typed errors if nowhere."""
    if stage_id is None:
        raise errors.non_retryable(
            f"Job {job_id} has no 'video_generator' stage to update. "
            "Check the job id; the job's clips must exist before a clip is changed.",
            error_types.STAGE_MISSING,
            stage="video_generator",
        )
    where = await conn.fetchrow(sql.LOCATE_CLIP, stage_id, clip_index)
    if where["unreadable"]:
        raise _invalid(
            f"The 'video_generator' metadata of job {job_id} is not a readable JSON "
            "object, so the clip cannot be updated. Repair that job_stages row."
        )
    if where["clip"] is None:
        raise errors.non_retryable(
            f"Clip {clip_index} was not found in job {job_id}; nothing was written.",
            error_types.CLIP_NOT_FOUND,
        )
    return where


async def in_transaction(pool: asyncpg.Pool, action: str, step, *args):
    """`step(conn, *args)` in one transaction; a lost connection is a retryable fault."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            return await step(conn, *args)
    except CONNECTION_FAULTS as exc:
        raise database_unavailable(action, exc) from exc


class JobStoreActivities:
    """Reads and writes job data; owns the asyncpg pool it is given."""

    def __init__(self, pool: asyncpg.Pool, references: ReferencePolicy | None = None) -> None:
        self.pool = pool
        self._references = references or ReferencePolicy()

    @activity.defn
    async def load_clip_context(self, ref: ClipRef) -> ClipContext:
        """One clip's compact context, in one SQL statement; references by name only, the
        ones the reference policy refuses dropped with their reasons."""
        try:
            row = await self.pool.fetchrow(sql.CLIP_CONTEXT, ref.job_id, ref.clip_index)
            return named_references(build_context(ref, row), self._references)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable(f"loading clip {ref.clip_index}", exc) from exc
        except RecursionError:
            raise _too_deep(ref) from None

    @activity.defn
    async def persist_clip_version(self, req: PersistRequest) -> PersistResult:
        """Record the new version and point the clip at it, atomically and idempotently."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                return await self._persist(conn, req)
        except CONNECTION_FAULTS as exc:
            raise database_unavailable(f"persisting clip {req.clip_index}", exc) from exc
        except RecursionError:
            raise _too_deep(req) from None

    async def _persist(self, conn: asyncpg.Connection, req: PersistRequest) -> PersistResult:
        stage_id = await conn.fetchval(sql.LOCK_STAGE, req.job_id)
        done = await conn.fetchrow(sql.FIND_REGENERATION, req.regeneration_id)
        if done is not None:
            if (done["job_id"], done["clip_index"]) != (req.job_id, req.clip_index):
                raise errors.non_retryable(
                    f"Regeneration id {req.regeneration_id} already belongs to clip "
                    f"{done['clip_index']} of job {done['job_id']}. Use a fresh regeneration id.",
                    error_types.INVALID_INPUT,
                )
            if done["is_current"] or not req.make_current:
                return PersistResult(version_number=done["version_number"], created=False)
            # Saved late (not current) and now asked for again (a retried request id, a
            # reset run): it becomes the clip's current version below.
        where = await locate_clip(conn, stage_id, req.job_id, req.clip_index)
        if req.make_current:
            await conn.execute(sql.RETIRE_CURRENT, req.job_id, req.clip_index)
        if done is not None:
            version = done["version_number"]
            await conn.execute(sql.MAKE_REGENERATION_CURRENT, req.regeneration_id)
        else:
            latest = where["latest_version"]
            if latest == 0:
                await self._record_original(conn, req, where["clip"], where["prompt_entry"],
                                            current=not req.make_current)
                latest = 1
            version = latest + 1
            # A late video (collected after its regeneration ended) is kept as a version
            # that is not current, and the clip entry keeps describing the current one.
            await conn.execute(
                sql.INSERT_VERSION, req.job_id, req.clip_index, version, req.video_url,
                req.prompt, req.negative_prompt, req.user_instruction, req.seed, req.temperature,
                req.regeneration_id, req.duration_seconds, req.cost_usd, req.policy_version,
                req.make_current,
            )
        if req.continuity is not None:
            await conn.execute(sql.SET_CONTINUITY, req.regeneration_id, req.continuity)
        if req.make_current:
            await conn.execute(
                sql.PATCH_CLIP_ENTRY, stage_id, where["position"], entry_changes(where["clip"], req)
            )
        return PersistResult(version_number=version, created=done is None)

    async def _record_original(
        self, conn: asyncpg.Connection, req: PersistRequest, raw_clip: Any, raw_prompt: Any,
        *, current: bool,
    ) -> None:
        """Version 1: the clip as the pipeline made it, before its first regeneration."""
        clip = _validated(Clip, raw_clip, f"Clip {req.clip_index} of job {req.job_id}")
        prompt = raw_prompt if isinstance(raw_prompt, dict) else {}
        await conn.execute(
            sql.INSERT_VERSION, req.job_id, req.clip_index, 1, clip.video_url,
            clip.prompt or _text(prompt.get("prompt")),
            clip.negative_prompt or _text(prompt.get("negative_prompt")),
            None, stored_seed(clip), clip.temperature, None, clip.actual_duration, clip.cost,
            None, current,
        )
