"""What one clip's generation looks like under its model's rules: length and references.

Veo generates 4, 6 or 8 seconds; with reference images only 8, and only where the
model and aspect ratio allow them (workflows/decisions/veo_models.py). The plan
generates what Veo accepts and delivers the clip's own length: the stored video is
trimmed to `delivered_seconds` (activities/video/trim.py). References the model or
aspect ratio cannot take are dropped, and the note says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from workflows.decisions.veo_models import VeoModel, shortest_duration


@dataclass(frozen=True)
class GenerationShape:
    generated_seconds: int  # sent to Veo as durationSeconds, and billed
    delivered_seconds: float  # the clip's length: what the stored video is trimmed to
    reference_image_urls: list[str] = field(default_factory=list)
    note: str = ""  # for the plan's reasoning, when references changed the plan


def pick_reference_images(scene_urls: list[str], character_urls: list[str],
                          limit: int) -> list[str]:
    """At most `limit` reference images: the clip's scene first, then its characters."""
    chosen: list[str] = []
    for url in [*scene_urls, *character_urls]:
        url = (url or "").strip()
        if len(chosen) == limit:
            break
        if url and url not in chosen:
            chosen.append(url)
    return chosen


def _references_refused(model: VeoModel, aspect_ratio: str) -> str | None:
    if not model.takes_references:
        return f"{model.model_id} does not take reference images"
    if aspect_ratio not in model.reference_aspect_ratios:
        return (f"{model.model_id} takes reference images only at "
                f"{', '.join(model.reference_aspect_ratios)}, not {aspect_ratio}")
    return None


def generation_shape(model: VeoModel, aspect_ratio: str, target_seconds: float,
                     scene_urls: list[str], character_urls: list[str]) -> GenerationShape:
    """Generated and delivered seconds, and the references sent, for one clip."""
    wanted = pick_reference_images(scene_urls, character_urls, limit=3)
    refused = _references_refused(model, aspect_ratio) if wanted else None
    references = [] if refused else wanted[: model.max_reference_images]
    durations = model.reference_durations if references else model.durations
    generated = shortest_duration(durations, target_seconds)
    valid_target = isinstance(target_seconds, (int, float)) and not math.isnan(target_seconds)
    delivered = float(target_seconds) if valid_target and 0 < target_seconds < generated else float(generated)
    note = ""
    if refused:
        note = f"reference images dropped: {refused}"
    elif references and generated > shortest_duration(model.durations, target_seconds):
        note = (f"reference images need {generated} s videos: generating {generated} s, "
                f"trimmed to the clip's {delivered:g} s")
    return GenerationShape(generated, delivered, references, note)
