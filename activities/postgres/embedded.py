"""The embedded default Postgres: a real server from the `pgserver` wheel, or DATABASE_URL.

With DATABASE_URL unset, Retake starts Postgres in the project-local data folder, so a
fresh machine needs no database install.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from activities.config import Settings

log = logging.getLogger(__name__)

_started: dict[Path, object] = {}  # pgserver handles this process holds, by data folder


def _start_embedded(pgdata: Path) -> str:
    """Start (or join) the pgserver Postgres in `pgdata`; blocking, so run in a thread.

    pgserver puts the unix socket in `pgdata` when that path is short enough
    (~107 characters with the socket name) and in a short runtime folder otherwise.
    """
    import pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _started[pgdata] = server
    return server.get_uri()


async def resolve_database_url(settings: Settings | None = None) -> str:
    """DATABASE_URL when set, else the embedded Postgres in data_dir/postgres."""
    settings = settings or Settings()
    if settings.database_url:
        return settings.database_url
    pgdata = Path(settings.data_dir) / "postgres"
    dsn = await asyncio.to_thread(_start_embedded, pgdata)
    log.info("using the embedded Postgres in %s", pgdata)
    return dsn


def stop_embedded() -> None:
    """Release this process's embedded Postgres; the last process holding it stops it.

    pgserver would do this at interpreter exit, but Retake's programs leave without
    interpreter teardown (retake/process.py), so they call this first.
    """
    while _started:
        _, server = _started.popitem()
        server.cleanup()
