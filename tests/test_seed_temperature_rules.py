"""The seed rule and the temperature bands at their edges (issue 35: mutation testing).

tests/test_decisions_properties.py holds the invariants over any instruction; these pin
each number of the policy's table and each boundary, with literal values (not the module's
own constants, which a slip would change on both sides).
"""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from workflows.decisions.seeds import VEO_SEED_MAX, VEO_SEED_MIN, choose_seed, is_valid_seed
from workflows.decisions.temperature import (
    BAND_ORDER,
    BANDS,
    FALLBACK_TEMPERATURE,
    SAMENESS_TEMPERATURE,
    SAMENESS_THRESHOLD,
    SEED_REUSE_BELOW,
    asks_for_sameness,
    band_of,
    clamp_temperature,
    refine_for_sameness,
)

UINT32_MAX = 2**32 - 1


# --- seeds ------------------------------------------------------------------------------


def test_the_seed_range_is_veos_unsigned_32_bits() -> None:
    assert (VEO_SEED_MIN, VEO_SEED_MAX) == (0, UINT32_MAX)
    for seed in (0, 1, 424242, UINT32_MAX - 1, UINT32_MAX):
        assert is_valid_seed(seed), seed
    for seed in (-1, UINT32_MAX + 1, None, True, False, 7.0, "7"):
        assert not is_valid_seed(seed), seed


@pytest.mark.parametrize("seed", [0, 7, UINT32_MAX])
def test_below_one_half_a_valid_original_seed_is_reused(seed: int) -> None:
    for temperature in (0.0, 0.25, 0.4999):
        assert choose_seed(temperature, seed, random.Random(1)) == (
            seed, True, f"reused the original seed {seed} for a precise change")


@pytest.mark.parametrize("temperature", [0.5, 0.65, 1.0])
def test_from_one_half_a_fresh_seed_is_drawn_whatever_the_original(temperature: float) -> None:
    drawn = random.Random(3).randint(0, UINT32_MAX)  # the full range, from the rng given
    assert choose_seed(temperature, 7, random.Random(3)) == (
        drawn, False, f"drew a fresh seed {drawn} to allow variation")


def test_a_precise_change_without_a_usable_seed_draws_one_and_says_why() -> None:
    drawn = random.Random(5).randint(0, UINT32_MAX)
    assert choose_seed(0.3, None, random.Random(5)) == (
        drawn, False, f"no original seed stored, so drew a fresh seed {drawn}")
    for bad in (-1, UINT32_MAX + 1):
        assert choose_seed(0.3, bad, random.Random(5)) == (
            drawn, False, f"original seed {bad} is outside Veo's range; drew {drawn}")


def test_fresh_seeds_reach_both_ends_of_the_range() -> None:
    """randint's bounds are the range's: a draw of the top or bottom value is possible."""

    class Edges(random.Random):
        def randint(self, a: int, b: int) -> int:
            self.asked = (a, b)
            return b

    rng = Edges()
    seed, reused, _ = choose_seed(0.9, None, rng)
    assert rng.asked == (0, UINT32_MAX) and seed == UINT32_MAX and not reused
    choose_seed(0.1, None, rng)
    assert rng.asked == (0, UINT32_MAX)


# --- temperature --------------------------------------------------------------------------


def test_the_policy_numbers() -> None:
    assert FALLBACK_TEMPERATURE == 0.7 and SAMENESS_TEMPERATURE == 0.25
    assert SAMENESS_THRESHOLD == 0.35 and SEED_REUSE_BELOW == 0.5
    table = {b.name: (b.low, b.high, b.typical) for b in BANDS.values()}
    assert table == {
        "very_low": (0.20, 0.30, 0.25), "low": (0.30, 0.40, 0.35),
        "medium_low": (0.40, 0.50, 0.45), "moderate": (0.60, 0.70, 0.65),
        "medium_high": (0.70, 0.80, 0.75), "high": (0.80, 1.00, 0.90),
    }
    assert BAND_ORDER == ("very_low", "low", "medium_low", "moderate", "medium_high", "high")


@pytest.mark.parametrize(("temperature", "band"), [
    (0.19, None), (0.20, "very_low"), (0.25, "very_low"), (0.30, "very_low"),  # lower on an edge
    (0.31, "low"), (0.40, "low"), (0.45, "medium_low"), (0.50, "medium_low"),
    (0.55, None), (0.59, None), (0.60, "moderate"), (0.70, "moderate"), (0.71, "medium_high"),
    (0.80, "medium_high"), (0.81, "high"), (1.00, "high"), (1.01, None), (0.0, None),
])
def test_each_temperature_falls_in_its_band(temperature: float, band: str | None) -> None:
    assert band_of(temperature) == band


def test_a_band_contains_both_its_edges_and_its_typical_value() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):  # the policy's table is not edited
        BANDS["low"].high = 0.45
    for b in BANDS.values():
        assert b.contains(b.low) and b.contains(b.high) and b.contains(b.typical), b
        assert not b.contains(b.low - 0.001) and not b.contains(b.high + 0.001), b


@pytest.mark.parametrize(("value", "expected", "note"), [
    (0.0, 0.0, None), (1.0, 1.0, None), (0.5, 0.5, None),
    (-0.2, 0.0, "temperature -0.2 clamped to 0"), (1.3, 1.0, "temperature 1.3 clamped to 1"),
    (-5.0, 0.0, "temperature -5 clamped to 0"), (7.0, 1.0, "temperature 7 clamped to 1"),
    (math.nan, 0.7, "temperature nan is not a number; used 0.7"),
    (math.inf, 0.7, "temperature inf is not a number; used 0.7"),
    (-math.inf, 0.7, "temperature -inf is not a number; used 0.7"),
])
def test_clamping(value: float, expected: float, note: str | None) -> None:
    assert clamp_temperature(value) == (expected, note)


@pytest.mark.parametrize(("instruction", "sameness"), [
    ("keep it almost exactly the same, just brighter", True),
    ("make it identical except for the sign", True),
    ("make it a lot darker", False),
])
def test_sameness_lowers_a_temperature_from_the_threshold_only(instruction, sameness) -> None:
    assert asks_for_sameness(instruction) is sameness
    for temperature in (0.35, 0.5, 0.9):
        lowered = refine_for_sameness(instruction, temperature)
        if sameness:
            assert lowered == (0.25, f"lowered temperature from {temperature:.2f} to 0.25 "
                                     "because the instruction asks for almost exactly the same clip")
        else:
            assert lowered == (temperature, None)
    for temperature in (0.2, 0.3, 0.3499):  # below 0.35: already precise, left alone
        assert refine_for_sameness(instruction, temperature) == (temperature, None)
