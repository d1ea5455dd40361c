"""Which failed Veo operations get their one resubmission: every google.rpc code pinned
with literal values (workflows/decisions/operation_errors.py)."""

from __future__ import annotations

import pytest

from workflows.decisions.operation_errors import (
    TRANSIENT_RESUBMISSIONS,
    is_transient_operation_error,
)

# google.rpc.Code: 2 UNKNOWN, 4 DEADLINE_EXCEEDED, 8 RESOURCE_EXHAUSTED, 13 INTERNAL,
# 14 UNAVAILABLE are transient; everything else is about the request.
TRANSIENT = {2, 4, 8, 13, 14}


@pytest.mark.parametrize("code", range(0, 17))
def test_only_the_five_transient_codes_are_resubmitted(code: int) -> None:
    assert is_transient_operation_error(code) is (code in TRANSIENT)


def test_no_code_and_unknown_numbers_stay_terminal() -> None:
    assert is_transient_operation_error(None) is False
    assert is_transient_operation_error(-14) is False
    assert is_transient_operation_error(114) is False


def test_a_failed_operation_is_resubmitted_at_most_once() -> None:
    assert TRANSIENT_RESUBMISSIONS == 1
