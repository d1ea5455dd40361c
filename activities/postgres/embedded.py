"""The embedded default Postgres: a real server from the `pgserver` wheel, or DATABASE_URL.

With DATABASE_URL unset, Retake starts Postgres in the project-local data folder, so a
fresh machine needs no database install. A worker in a container (or anything with
RETAKE_EMBEDDED_POSTGRES=false, as the image sets) refuses instead: a forgotten
DATABASE_URL would otherwise give it a private database that vanishes with the
container. The demo and the tests are not refused in a container (dev containers and
CI machines are containers too).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from pydantic import SecretStr

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


class EmbeddedPostgresRefused(RuntimeError):
    """DATABASE_URL is unset where the embedded Postgres must not start."""


# Files a container runtime leaves at the root: Docker's, and Podman's (and CRI-O's).
CONTAINER_MARKERS = (".dockerenv", "run/.containerenv")


def in_container(root: Path = Path("/")) -> bool:
    """Whether this process runs in a Docker or Podman container."""
    return any((root / marker).exists() for marker in CONTAINER_MARKERS)


def embedded_allowed(settings: Settings, *, container: bool) -> bool:
    """RETAKE_EMBEDDED_POSTGRES when set, else allowed unless `container`."""
    if settings.embedded_postgres is not None:
        return settings.embedded_postgres
    return not container


async def resolve_database_url(
    settings: Settings | None = None, *, refuse_in_container: bool = False
) -> SecretStr:
    """DATABASE_URL when set, else the embedded Postgres in data_dir/postgres where allowed
    (`refuse_in_container`: the worker's rule, not the demo's)."""
    settings = settings or Settings()
    if not settings.uses_embedded_postgres:
        return settings.database_url
    if not embedded_allowed(settings, container=refuse_in_container and in_container()):
        why = ("RETAKE_EMBEDDED_POSTGRES=false" if settings.embedded_postgres is False
               else "this process runs in a container")
        raise EmbeddedPostgresRefused(
            f"DATABASE_URL is not set and the embedded Postgres is not started ({why}). "
            "Set DATABASE_URL to the application's Postgres login (docs/operations.md, "
            "\"Database roles\"), or RETAKE_EMBEDDED_POSTGRES=true for a throwaway database.")
    pgdata = Path(settings.data_dir) / "postgres"
    dsn = await asyncio.to_thread(_start_embedded, pgdata)
    log.info("using the embedded Postgres in %s", pgdata)
    return SecretStr(dsn)


def stop_embedded() -> None:
    """Release this process's embedded Postgres; the last process holding it stops it.

    pgserver would do this at interpreter exit, but Retake's programs leave without
    interpreter teardown (retake/process.py), so they call this first.
    """
    while _started:
        _, server = _started.popitem()
        server.cleanup()
