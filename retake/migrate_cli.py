"""`starter.py migrate`: apply the schema with the login given for that.

Workers on DATABASE_URL only check the schema, so their login needs no right to
change it. This command runs with RETAKE_MIGRATION_DATABASE_URL (else DATABASE_URL,
else the embedded Postgres), applies pending migrations and, with `--grant-to`,
gives the application's role its rights on what exists and what later migrations add.
"""

from __future__ import annotations

import asyncpg
from pydantic import SecretStr

from activities.config import Settings
from activities.errors import redact
from activities.postgres.dsn import safe_dsn
from activities.postgres.embedded import resolve_database_url, stop_embedded
from activities.postgres.migrations import apply_migrations
from activities.postgres.roles import grant_app_role, quoted_role


async def migrate(grant_to: str | None, out, err) -> int:
    """Exit 0 when the schema is current (and granted), 1 with the reason otherwise."""
    settings = Settings()
    if grant_to is not None:
        try:
            quoted_role(grant_to)
        except ValueError as exc:
            print(f"migrate refused: {exc}", file=err)
            return 1
    url = settings.migration_database_url or settings.database_url
    dsn: SecretStr = (url if url is not None and url.get_secret_value()
                      else await resolve_database_url(settings))
    where = safe_dsn(dsn.get_secret_value())
    try:
        conn = await asyncpg.connect(dsn.get_secret_value())
        try:
            applied = await apply_migrations(conn)
            if grant_to is not None:
                await grant_app_role(conn, grant_to)
        finally:
            await conn.close()
    except (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        why = redact(str(exc), settings.secret_values())[:500]
        hint = ("The migration login must own the schema (docs/operations.md, \"Database "
                "roles\")." if isinstance(exc, asyncpg.PostgresError)
                else "Check that Postgres is reachable at that address and the URL is right.")
        print(f"migrate failed on {where}: {type(exc).__name__}: {why}. {hint}", file=err)
        return 1
    finally:
        stop_embedded()
    done = f"applied {', '.join(applied)}" if applied else "schema already current"
    granted = f"; rights granted to {grant_to}" if grant_to else ""
    print(f"{where}: {done}{granted}", file=out)
    return 0
