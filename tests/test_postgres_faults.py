"""A Postgres fault is told as what it is: a busy pool or slow server, or no server."""

from __future__ import annotations

import asyncpg
import pytest

from activities.postgres.faults import CONNECTION_FAULTS, database_unavailable
from workflows.error_types import DATABASE_UNAVAILABLE


@pytest.mark.parametrize(("exc", "said"), [
    (TimeoutError(), "Postgres did not answer in time (every pooled connection stayed busy, "
                     "or the server was slow) while loading clip 3 (TimeoutError). Retrying."),
    (ConnectionRefusedError(), "Postgres could not be reached while loading clip 3 "
                               "(ConnectionRefusedError). Retrying."),
    (asyncpg.CannotConnectNowError(), "Postgres could not be reached while loading clip 3 "
                                      "(CannotConnectNowError). Retrying."),
])
def test_a_connection_fault_is_a_retryable_database_unavailable_that_says_which(exc, said):
    assert isinstance(exc, CONNECTION_FAULTS)
    error = database_unavailable("loading clip 3", exc)
    assert (error.message, error.type, error.non_retryable) == (said, DATABASE_UNAVAILABLE, False)
