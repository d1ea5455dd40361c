"""The seed rule: reuse the original clip's seed for precise changes, else a fresh one.

A fresh seed comes from the `random.Random` passed in (the workflow passes
`workflow.random()`), so replay draws the same number. The seed used is always a real
number in Veo's range: it is stored on the new clip so the next precise change can reuse it.
"""

from __future__ import annotations

import random

from workflows.decisions.temperature import SEED_REUSE_BELOW

VEO_SEED_MIN = 0
VEO_SEED_MAX = 4_294_967_295  # Veo accepts an unsigned 32-bit seed


def is_valid_seed(seed: int | None) -> bool:
    return (
        isinstance(seed, int)
        and not isinstance(seed, bool)
        and VEO_SEED_MIN <= seed <= VEO_SEED_MAX
    )


def choose_seed(
    temperature: float, original_seed: int | None, rng: random.Random
) -> tuple[int, bool, str]:
    """(seed, reused, why): reuse below 0.5 when a usable original seed exists."""
    if temperature < SEED_REUSE_BELOW:
        if is_valid_seed(original_seed):
            return (
                original_seed,
                True,
                f"reused the original seed {original_seed} for a precise change",
            )
        fresh = rng.randint(VEO_SEED_MIN, VEO_SEED_MAX)
        if original_seed is None:
            return fresh, False, f"no original seed stored, so drew a fresh seed {fresh}"
        return fresh, False, f"original seed {original_seed} is outside Veo's range; drew {fresh}"
    fresh = rng.randint(VEO_SEED_MIN, VEO_SEED_MAX)
    return fresh, False, f"drew a fresh seed {fresh} to allow variation"
