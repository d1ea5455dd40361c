"""Prices with and without audio: the song replaces a clip's sound, so muted is cheaper."""

from decimal import Decimal

import pytest

from workflows.decisions.veo_models import CATALOGUE, PRICE, estimate_cost


@pytest.mark.parametrize(
    ("model", "audio", "usd"),
    [
        ("veo-3.1-generate-001", True, "3.20"),
        ("veo-3.1-generate-001", False, "1.60"),
        ("veo-3.1-fast-generate-001", True, "1.20"),
        ("veo-3.1-fast-generate-001", False, "0.80"),
    ],
)
def test_eight_seconds_cost_what_the_catalogue_says(model: str, audio: bool, usd: str) -> None:
    assert estimate_cost(model, 8, generate_audio=audio) == Decimal(usd)


def test_default_is_the_price_with_audio_so_old_plans_keep_their_cost() -> None:
    for model_id in CATALOGUE:
        assert estimate_cost(model_id, 8) == estimate_cost(model_id, 8, generate_audio=True)


def test_every_price_names_its_source_and_muted_is_never_dearer() -> None:
    for model in CATALOGUE.values():
        assert model.price_source(True) == PRICE
        assert model.price_per_second_no_audio_usd is not None
        assert model.price_per_second(False) < model.price_per_second(True)
        # Google's page was not read for the muted price: the source must say so.
        assert model.price_source(False).startswith("unverified:")
