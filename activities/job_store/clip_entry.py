"""What a regeneration changes in its clip's entry of the video_generator stage (docs/data.md).

Pure: the entry as stored plus what this generation made give the changes. The fields
that describe the video become this generation's; Postgres merges them into the stored
entry (retake_stage_patch, migration 004), so every other key and value, numbers
included, stays exactly as the pipeline wrote it.
"""

from __future__ import annotations

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
    changes: dict[str, Any] = {
        "video_url": req.video_url,
        "prompt": req.prompt,
        "temperature": req.temperature,
        "status": REGENERATED_STATUS,
        "actual_duration": req.duration_seconds,
        "cost": stored_cost(req.cost_usd),
        "generation_time": req.generation_seconds,
        "metadata": {"generation_seed": req.seed},
    }
    if req.negative_prompt is not None:
        changes["negative_prompt"] = req.negative_prompt
    if "duration_diff" in old:  # derived from the duration: kept true, not stale
        target, delivered = _number(old.get("target_duration")), req.duration_seconds
        changes["duration_diff"] = (
            None if delivered is None or target is None else round(delivered - target, 3)
        )
    return changes
