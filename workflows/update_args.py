"""Update arguments as any client sends them: checked here, refused as InvalidInput.

The handlers take the raw JSON value (any client: the Temporal CLI, another SDK, a
chatbot's tool call), so a missing or malformed argument reaches a validator instead
of failing the SDK's conversion (a retryable TypeError or RuntimeError the caller
cannot act on). The refusal names the field and shows what to send.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from temporalio.exceptions import ApplicationError

from workflows.error_types import INVALID_INPUT

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: Any, *, update: str, example: str, required: bool) -> M:
    """`raw` as `model`; InvalidInput naming the field when it is missing or malformed."""
    if isinstance(raw, model):
        return raw
    if raw is None and not required:
        return model()
    if raw is None:
        raise invalid(f"The {update} Update needs an argument: send {example}.")
    if not isinstance(raw, dict):
        raise invalid(
            f"The {update} Update takes a JSON object, got {type(raw).__name__} "
            f"{str(raw)[:60]!r}: send {example}."
        )
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'argument'}: {e['msg']}"
            for e in err.errors()
        )
        raise invalid(f"Invalid {update} argument ({problems}): send {example}.") from None


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID_INPUT, non_retryable=True)
