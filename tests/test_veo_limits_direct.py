"""One clip's generation under its model's rules (workflows/decisions/veo_limits.py),
with literal lengths: what is generated, what is delivered, and when the plan says why."""

from __future__ import annotations

import dataclasses

import pytest

from workflows.decisions.veo_limits import (
    GenerationShape,
    generation_shape,
    pick_reference_images,
)
from workflows.decisions.veo_models import CATALOGUE

STANDARD = CATALOGUE["veo-3.1-generate-001"]  # references: up to 3, 8 s only, 16:9 only
SCENE = ["https://example.com/scene.png"]


@pytest.mark.parametrize("target", [7, 8, 7.5])
def test_references_on_a_clip_that_needs_8_s_anyway_leave_no_note(target: float) -> None:
    shape = generation_shape(STANDARD, "16:9", target, SCENE, [])
    assert shape.generated_seconds == 8
    assert shape.delivered_seconds == float(target)
    assert shape.reference_image_urls == SCENE
    assert shape.note == ""


def test_references_that_lengthen_the_generation_say_so() -> None:
    shape = generation_shape(STANDARD, "16:9", 5, SCENE, [])
    assert (shape.generated_seconds, shape.delivered_seconds) == (8, 5.0)
    assert shape.note == ("reference images need 8 s videos: generating 8 s, "
                          "trimmed to the clip's 5 s")


def test_without_references_nothing_is_noted() -> None:
    shape = generation_shape(STANDARD, "16:9", 5, [], [])
    assert (shape.generated_seconds, shape.delivered_seconds, shape.note) == (6, 5.0, "")


@pytest.mark.parametrize(("target", "delivered"), [(1, 1.0), (0.5, 0.5), (3.9, 3.9)])
def test_a_short_clip_is_delivered_at_its_own_length(target: float, delivered: float) -> None:
    shape = generation_shape(STANDARD, "16:9", target, [], [])
    assert (shape.generated_seconds, shape.delivered_seconds) == (4, delivered)


@pytest.mark.parametrize("target", [0, -1, float("nan"), None])
def test_a_nonsensical_target_is_delivered_at_the_generated_length(target: float) -> None:
    shape = generation_shape(STANDARD, "16:9", target, [], [])
    assert (shape.generated_seconds, shape.delivered_seconds) == (8, 8.0)


def test_a_shape_is_a_value_that_cannot_be_changed() -> None:
    shape = generation_shape(STANDARD, "16:9", 4, [], [])
    assert isinstance(shape, GenerationShape)
    with pytest.raises(dataclasses.FrozenInstanceError):
        shape.generated_seconds = 8  # type: ignore[misc]


def test_references_are_the_scene_first_then_characters_deduplicated_up_to_the_limit() -> None:
    picked = pick_reference_images([" s1 ", "", "s2"], ["s1", None, "c1", "c2"], limit=3)  # type: ignore[list-item]
    assert picked == ["s1", "s2", "c1"]
    assert pick_reference_images(["a", "b"], ["c"], limit=2) == ["a", "b"]
    assert pick_reference_images(["a"], [], limit=0) == []
