"""Which Postgres exceptions are connection faults (retried), and their typed error.

Shared by every activity that writes to Postgres: a fault of the connection, not of
the data, becomes a retryable DatabaseUnavailable.
"""

from __future__ import annotations

import asyncpg
from temporalio.exceptions import ApplicationError

from activities import errors
from workflows import error_types

CONNECTION_FAULTS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
)


def database_unavailable(action: str, exc: BaseException) -> ApplicationError:
    """A wait that ran out (every pooled connection stayed busy, or the server was slow)
    is told apart from a server that could not be reached: they are fixed differently."""
    what = ("did not answer in time (every pooled connection stayed busy, or the server was "
            "slow)" if isinstance(exc, TimeoutError) else "could not be reached")
    return errors.retryable(
        f"Postgres {what} while {action} ({type(exc).__name__}). Retrying.",
        error_types.DATABASE_UNAVAILABLE,
    )
