"""What a regeneration changes in its clip's entry of the video_generator stage (docs/data.md).

Pure: the entry as stored plus what this generation made give the changes. The fields
that describe the video become this generation's; Postgres merges them into the stored
entry (retake_stage_patch, migration 004), so every other key and value, numbers
included, stays exactly as the pipeline wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from workflows.step_models import PersistRequest

COST_PLACES = Decimal("0.0001")  # the pipeline writes costs as strings with 4 places
REGENERATED_STATUS = "success"  # the pipeline's word for a clip that was generated


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def stored_cost(cost: Decimal | None) -> str | None:
    return None if cost is None else str(cost.quantize(COST_PLACES))


def entry_changes(old: dict[str, Any], req: PersistRequest) -> dict[str, Any]:
    """The keys to set on the entry `old` for regeneration `req`.

    `metadata` is merged one level deeper: only its generation_seed changes. A value
    this generation did not report is null: the old clip's value would be wrong.
    """
    return describe_video(
        old, video_url=req.video_url, prompt=req.prompt, temperature=req.temperature,
        negative_prompt=req.negative_prompt, seed=req.seed,
        duration_seconds=req.duration_seconds, cost_usd=req.cost_usd,
    ) | {"status": REGENERATED_STATUS, "generation_time": req.generation_seconds}


def version_changes(old: dict[str, Any], version: Mapping[str, Any]) -> dict[str, Any]:
    """The keys to set on the entry `old` when a saved version (a clip_versions row) is
    made current again by a revert. Its generation time is not recorded: null."""
    return describe_video(
        old, video_url=version["video_url"], prompt=version["prompt"],
        temperature=version["temperature"], negative_prompt=version["negative_prompt"],
        seed=version["generation_seed"], duration_seconds=version["duration_seconds"],
        cost_usd=version["cost_usd"],
    ) | {"generation_time": None}


def describe_video(
    old: dict[str, Any], *, video_url: str | None, prompt: str | None,
    temperature: float | None, negative_prompt: str | None, seed: int | None,
    duration_seconds: float | None, cost_usd: Decimal | None,
) -> dict[str, Any]:
    """The fields of the entry that describe its video."""
    changes: dict[str, Any] = {
        "video_url": video_url,
        "prompt": prompt,
        "temperature": temperature,
        "actual_duration": duration_seconds,
        "cost": stored_cost(cost_usd),
        "metadata": {"generation_seed": seed},
    }
    if negative_prompt is not None:
        changes["negative_prompt"] = negative_prompt
    if "duration_diff" in old:  # derived from the duration: kept true, not stale
        target, delivered = _number(old.get("target_duration")), duration_seconds
        changes["duration_diff"] = (
            None if delivered is None or target is None else round(delivered - target, 3)
        )
    return changes
