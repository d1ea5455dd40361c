"""The Veo model catalogue's rules (workflows/decisions/veo_models.py), with literal values
read from the cited pages: what each model accepts, what it costs, what replaces a retired
id, and what Vertex would refuse."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from workflows.decisions.veo_models import (
    CATALOGUE,
    DEFAULT_MODEL_ID,
    MAX_REFERENCE_BYTES,
    PRICE,
    REFERENCE_MIME_TYPES,
    estimate_cost,
    model_for,
    model_problem,
    request_problems,
    shortest_duration,
)

STANDARD, FAST = "veo-3.1-generate-001", "veo-3.1-fast-generate-001"


def test_the_catalogue_rows() -> None:
    standard, fast = CATALOGUE[STANDARD], CATALOGUE[FAST]
    assert list(CATALOGUE) == [STANDARD, FAST] and DEFAULT_MODEL_ID == STANDARD
    assert (standard.durations, standard.aspect_ratios, standard.resolutions) == (
        (4, 6, 8), ("16:9", "9:16"), ("720p", "1080p"))
    assert (standard.max_reference_images, standard.reference_durations,
            standard.reference_aspect_ratios) == (3, (8,), ("16:9",))
    assert (fast.max_reference_images, fast.reference_durations, fast.reference_aspect_ratios) == (
        0, (), ())
    assert (fast.durations, fast.aspect_ratios, fast.resolutions) == (
        (4, 6, 8), ("16:9", "9:16"), ("720p", "1080p"))
    assert (fast.price_per_second(True), fast.price_per_second(False)) == (
        Decimal("0.15"), Decimal("0.10"))
    assert standard.takes_references and not fast.takes_references
    assert standard.audio and fast.audio
    assert REFERENCE_MIME_TYPES == ("image/jpeg", "image/png")
    assert MAX_REFERENCE_BYTES == 10_485_760
    with pytest.raises(dataclasses.FrozenInstanceError):
        standard.max_reference_images = 4  # type: ignore[misc]


def test_prices_with_and_without_audio_and_where_they_come_from() -> None:
    standard = CATALOGUE[STANDARD]
    assert (standard.price_per_second(True), standard.price_per_second(False)) == (
        Decimal("0.40"), Decimal("0.20"))
    assert standard.price_source(True) == PRICE
    assert standard.price_source(False) == "unverified: third-party lists, not Google's page [MUTE]"
    unknown_muted = dataclasses.replace(standard, price_per_second_no_audio_usd=None)
    assert unknown_muted.price_per_second(False) == Decimal("0.40")
    assert unknown_muted.price_source(False) == PRICE


def test_only_veo_2_lets_the_prompt_rewriter_be_turned_off() -> None:
    assert not CATALOGUE[STANDARD].prompt_rewriter_optional
    assert dataclasses.replace(CATALOGUE[STANDARD], model_id="veo-2.0-generate-001"
                               ).prompt_rewriter_optional


@pytest.mark.parametrize(("wanted", "given"), [("720p", "720p"), ("1080p", "1080p"),
                                               ("4k", "1080p"), (None, "1080p")])
def test_a_resolution_the_model_does_not_render_becomes_its_highest(
    wanted: str | None, given: str
) -> None:
    assert CATALOGUE[FAST].resolution_for(wanted) == given
    three = dataclasses.replace(CATALOGUE[FAST], resolutions=("480p", "720p", "1080p"))
    assert three.resolution_for(wanted) == given


def test_one_reference_image_is_enough_to_take_references() -> None:
    assert dataclasses.replace(CATALOGUE[FAST], max_reference_images=1).takes_references


def test_model_problems_name_what_to_use_instead() -> None:
    assert model_problem(STANDARD) is None and model_problem(FAST) is None
    assert model_problem("veo-3.0-fast-generate-001") == (
        "options.video_model 'veo-3.0-fast-generate-001' is retired on Vertex AI; "
        "use 'veo-3.1-fast-generate-001'")
    assert model_problem("sora") == (
        "options.video_model 'sora' is not a served Veo model; use one of "
        "'veo-3.1-generate-001', 'veo-3.1-fast-generate-001'")


@pytest.mark.parametrize(("asked", "row"), [(FAST, FAST), ("veo-3.1-fast-generate-preview", FAST),
                                            ("veo-2.0-generate-exp", STANDARD), ("sora", STANDARD)])
def test_model_for_falls_back_to_the_replacement_or_the_default(asked: str, row: str) -> None:
    assert model_for(asked) is CATALOGUE[row]


@pytest.mark.parametrize(
    ("target", "seconds"),
    [(0.5, 4), (4, 4), (4.01, 6), (6, 6), (6.5, 8), (8, 8), (12, 8), (0, 8), (-3, 8),
     (float("nan"), 8), (None, 8)],
)
def test_the_shortest_duration_that_covers_the_target(target: float, seconds: int) -> None:
    assert shortest_duration((4, 6, 8), target) == seconds


@pytest.mark.parametrize(
    ("model", "seconds", "audio", "usd"),
    [(STANDARD, 1, True, "0.40"), (STANDARD, 4, False, "0.80"), (FAST, 3, False, "0.30"),
     (FAST, 6, True, "0.90"), (STANDARD, 0, True, "0.00"), (STANDARD, -2, True, "0.00"),
     ("veo-2.0-generate-001", 4, True, "1.60"), ("sora", 1, True, "0.40")],
)
def test_a_generation_costs_its_seconds_at_its_price(
    model: str, seconds: int, audio: bool, usd: str
) -> None:
    assert estimate_cost(model, seconds, audio) == Decimal(usd)
    assert str(estimate_cost(model, seconds, audio)) == usd  # to the cent


def test_what_vertex_would_refuse() -> None:
    assert request_problems(STANDARD, 8, "16:9", 3) == []
    assert request_problems(STANDARD, 4, "9:16", 0) == []
    assert request_problems("sora", 8, "16:9", 0) == [model_problem("sora")]
    assert request_problems(STANDARD, 5, "1:1", 0) == [
        "durationSeconds 5 is not one of (4, 6, 8)", "aspectRatio 1:1 is not one of ('16:9', '9:16')"]
    assert request_problems(STANDARD, 6, "9:16", 4) == [
        "veo-3.1-generate-001 takes at most 3 reference images",
        "reference images need durationSeconds in (8,)",
        "reference images need aspectRatio in ('16:9',)"]
    assert request_problems(FAST, 8, "16:9", 1) == [
        "veo-3.1-fast-generate-001 takes at most 0 reference images",
        "reference images need durationSeconds in ()",
        "reference images need aspectRatio in ()"]
