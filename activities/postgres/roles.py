"""What the application's login may do: read and write rows, never change the schema.

Two logins (docs/operations.md, "Database roles"): a migration role that owns the schema
and runs `starter.py migrate`, and the application role in the workers' DATABASE_URL.
`grant_app_role` runs as the migration role: rights on what exists now, and default
rights on what its later migrations create.
"""

from __future__ import annotations

import re

import asyncpg

_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")

# SELECT, INSERT, UPDATE: every statement Retake's activities run (they delete nothing).
# schema_migrations is read-only to the application: it checks the version, never writes.
APP_GRANTS = """
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
REVOKE INSERT, UPDATE ON schema_migrations FROM {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role};
"""


def quoted_role(name: str) -> str:
    """The role name as a quoted SQL identifier; refuses anything but a plain name."""
    if not _ROLE_NAME.match(name):
        raise ValueError(
            f"{name!r} is not a plain role name: use letters, digits and underscores "
            "(at most 63), starting with a letter or underscore.")
    return f'"{name}"'


async def grant_app_role(conn: asyncpg.Connection, role: str) -> None:
    """Give `role` the application's rights on the migrated schema (idempotent)."""
    await conn.execute(APP_GRANTS.format(role=quoted_role(role)))
