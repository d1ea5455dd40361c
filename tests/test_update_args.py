"""Update arguments as any client sends them (workflows/update_args.py), pure, no server:
what is accepted as it is, what is defaulted, and what is refused with InvalidInput naming
the field and showing what to send."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, model_validator
from temporalio.exceptions import ApplicationError

from workflows.error_types import INVALID_INPUT
from workflows.models import Cancellation, Confirmation, Revision
from workflows.update_args import invalid, parse


class Nested(BaseModel):
    inner: Confirmation


def refusal(model, raw, **kw) -> ApplicationError:
    kw = {"update": "confirm", "example": '{"revision": 2}', "required": False} | kw
    with pytest.raises(ApplicationError) as failure:
        parse(model, raw, **kw)
    err = failure.value
    assert err.type == INVALID_INPUT and err.non_retryable
    assert err.__cause__ is None
    # a pydantic error is dropped (`from None`): the message already names the field
    assert err.__suppress_context__ == isinstance(raw, dict)
    return err


def test_a_model_instance_is_returned_as_it_is():
    sent = Revision(instruction="make it warmer")
    assert parse(Revision, sent, update="revise", example="x", required=True) is sent
    cancel = Cancellation()
    assert parse(Cancellation, cancel, update="cancel", example="x", required=False) is cancel


def test_no_argument_is_the_default_when_optional_and_refused_when_required():
    got = parse(Confirmation, None, update="confirm", example="x", required=False)
    assert got == Confirmation() and got.revision is None
    err = refusal(Revision, None, update="revise", example='{"instruction": "..."}',
                  required=True)
    assert err.message == 'The revise Update needs an argument: send {"instruction": "..."}.'


def test_a_dict_is_validated_into_the_model():
    got = parse(Confirmation, {"revision": 2}, update="confirm", example="x", required=False)
    assert got == Confirmation(revision=2)
    got = parse(Revision, {"instruction": "warmer"}, update="revise", example="x", required=True)
    assert got.instruction == "warmer"
    assert parse(Confirmation, {}, update="confirm", example="x", required=True) == Confirmation()


@pytest.mark.parametrize("raw, shown", [
    (2, "int '2'"),
    ("make it warmer", "str 'make it warmer'"),
    ([1, 2], "list '[1, 2]'"),
    ("x" * 100, f"str {'x' * 60!r}"),
])
def test_anything_but_an_object_is_refused_naming_its_type(raw, shown):
    err = refusal(Confirmation, raw, required=True)
    assert err.message == f'The confirm Update takes a JSON object, got {shown}: send {{"revision": 2}}.'
    # optional or not, a wrong type is refused the same way
    assert refusal(Confirmation, raw, required=False).message == err.message


def test_a_model_of_another_type_is_not_taken_as_it_is():
    err = refusal(Confirmation, Cancellation(), required=True)
    assert "got Cancellation" in err.message


def test_a_malformed_field_is_named_with_what_is_wrong():
    err = refusal(Confirmation, {"revision": "two"})
    assert err.message.startswith("Invalid confirm argument (revision: Input should be a valid "
                                  "integer")
    assert err.message.endswith('): send {"revision": 2}.')
    err = refusal(Revision, {}, update="revise", example="E", required=True)
    assert err.message == "Invalid revise argument (instruction: Field required): send E."


def test_every_problem_is_listed_and_nested_fields_are_dotted():
    err = refusal(Revision, {"instruction": 3, "request_id": "bad id!"}, update="revise",
                  example="E")
    assert err.message.startswith("Invalid revise argument (instruction: Input should be a "
                                  "valid string; request_id: String should match pattern")
    err = refusal(Nested, {"inner": {"revision": "x"}}, example="E")
    assert "(inner.revision: Input should be a valid integer" in err.message


def test_a_problem_with_the_whole_argument_is_named_argument():
    class Whole(BaseModel):
        a: int = 0

        @model_validator(mode="after")
        def never(self):
            raise ValueError("not this one")

    err = refusal(Whole, {"a": 1}, example="E")
    assert err.message == "Invalid confirm argument (argument: Value error, not this one): send E."


def test_invalid_is_a_non_retryable_invalid_input():
    err = invalid("what was wrong")
    assert err.message == "what was wrong" and err.type == INVALID_INPUT and err.non_retryable
