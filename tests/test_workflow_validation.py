"""Validation bounds every integer of the input before anything runs (pure, no server)."""

from __future__ import annotations

from uuid import uuid4

import pytest
from pydantic import BaseModel

from workflows.models import RegenerateClipInput
from workflows.validation import MAX_CLIP_INDEX, problems

POSTGRES_INT_MAX = 2**31 - 1


def valid(**changes) -> RegenerateClipInput:
    return RegenerateClipInput(job_id=uuid4(), clip_index=0, instruction="make it brighter",
                               **changes)


def int_fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every integer field of the input, nested models included."""
    found = []
    for name, field in model.model_fields.items():
        if field.annotation is int:
            found.append(prefix + name)
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            found += int_fields(field.annotation, f"{prefix}{name}.")
    return found


def with_value(path: str, value: int) -> RegenerateClipInput:
    data = valid().model_dump()
    *parents, leaf = path.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[leaf] = value
    return RegenerateClipInput.model_validate(data)


@pytest.mark.parametrize("path", int_fields(RegenerateClipInput))
def test_every_integer_field_is_bounded_for_postgres(path: str) -> None:
    assert problems(with_value(path, POSTGRES_INT_MAX)) == []
    for bad in (POSTGRES_INT_MAX + 1, 2**63, -1):
        found = problems(with_value(path, bad))
        assert len(found) == 1 and path.split(".")[-1] in found[0] and str(bad) in found[0]


def test_the_input_has_the_integers_we_bound() -> None:
    """A new integer field must be bounded too: this list changes with the model."""
    assert int_fields(RegenerateClipInput) == ["clip_index"]
    assert MAX_CLIP_INDEX == POSTGRES_INT_MAX
