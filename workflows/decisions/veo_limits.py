"""What Veo 3.1 accepts: clip durations of 4, 6 or 8 seconds and up to 3 reference images."""

from __future__ import annotations

import math

VEO_DURATIONS = (4, 6, 8)
MAX_REFERENCE_IMAGES = 3


def veo_duration(target_seconds: float) -> int:
    """The shortest accepted duration that covers the target, at most 8 seconds.

    A clip is generated at least as long as its slot and trimmed in editing. A missing or
    nonsensical target (<= 0, NaN) gets 8, the model's default: raising here would fail
    the workflow task over bad stored data instead of producing a usable clip.
    """
    if (
        not isinstance(target_seconds, (int, float))
        or math.isnan(target_seconds)
        or target_seconds <= 0
    ):
        return VEO_DURATIONS[-1]
    for seconds in VEO_DURATIONS:
        if target_seconds <= seconds:
            return seconds
    return VEO_DURATIONS[-1]


def pick_reference_images(scene_urls: list[str], character_urls: list[str]) -> list[str]:
    """At most 3 reference images: the clip's scene first, then its characters; no repeats."""
    chosen: list[str] = []
    for url in [*scene_urls, *character_urls]:
        url = (url or "").strip()
        if url and url not in chosen:
            chosen.append(url)
        if len(chosen) == MAX_REFERENCE_IMAGES:
            break
    return chosen
