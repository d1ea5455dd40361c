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
    return errors.retryable(
        f"Postgres could not be reached while {action} ({type(exc).__name__}). Retrying.",
        error_types.DATABASE_UNAVAILABLE,
    )
