"""Temperature bands of the decision policy, clamping, and the sameness refinement.

The bands are the policy's table (decision-policy.md); each has one representative value
that planners use, chosen inside the band so a small nudge never leaves it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workflows.decisions.phrases import SAMENESS_RE, find_unnegated, normalise

FALLBACK_TEMPERATURE = 0.7  # the policy's default when a planner's answer is unusable
SAMENESS_TEMPERATURE = 0.25  # inside very_low (0.20-0.30)
SAMENESS_THRESHOLD = 0.35  # at or above this, "almost the same" instructions are lowered
SEED_REUSE_BELOW = 0.5  # below this a precise change reuses the original seed


@dataclass(frozen=True)
class Band:
    name: str
    low: float
    high: float
    typical: float  # what the rule-based planners choose in this band

    def contains(self, temperature: float) -> bool:
        return self.low <= temperature <= self.high


BANDS: dict[str, Band] = {
    b.name: b
    for b in (
        Band("very_low", 0.20, 0.30, 0.25),
        Band("low", 0.30, 0.40, 0.35),
        Band("medium_low", 0.40, 0.50, 0.45),
        Band("moderate", 0.60, 0.70, 0.65),
        Band("medium_high", 0.70, 0.80, 0.75),
        Band("high", 0.80, 1.00, 0.90),
    )
}
BAND_ORDER = tuple(BANDS)


def clamp_temperature(value: float) -> tuple[float, str | None]:
    """Clamp into [0, 1]; NaN/inf become the 0.7 fallback. Returns (value, note or None)."""
    if not math.isfinite(value):
        return (
            FALLBACK_TEMPERATURE,
            f"temperature {value} is not a number; used {FALLBACK_TEMPERATURE}",
        )
    if value < 0.0 or value > 1.0:
        clamped = min(1.0, max(0.0, value))
        return clamped, f"temperature {value:g} clamped to {clamped:g}"
    return value, None


def asks_for_sameness(instruction: str) -> bool:
    """Whether the instruction says "almost exactly the same", "identical except", ..."""
    return find_unnegated(SAMENESS_RE, normalise(instruction)) is not None


def refine_for_sameness(instruction: str, temperature: float) -> tuple[float, str | None]:
    """Lower a temperature >= 0.35 into very_low when the user asked for almost the same clip."""
    if temperature >= SAMENESS_THRESHOLD and asks_for_sameness(instruction):
        return SAMENESS_TEMPERATURE, (
            f"lowered temperature from {temperature:.2f} to {SAMENESS_TEMPERATURE:.2f} because the "
            "instruction asks for almost exactly the same clip"
        )
    return temperature, None


def band_of(temperature: float) -> str | None:
    """The name of the band a temperature falls in (the lower one on a shared edge), if any."""
    return next((b.name for b in BANDS.values() if b.contains(temperature)), None)
