"""What every benchmark starts for itself: Postgres, the Temporal dev server, emulators.

Each benchmark script is self-contained: `async with bench_stack() as stack:` gives a
fresh pgserver Postgres in a temp folder (migrated, pool open), a dev server without
UI, and a temp folder for videos. Nothing is shared with the tests or the demo's .data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402
import pgserver  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from activities.config import Settings  # noqa: E402
from activities.postgres.pool import create_pool  # noqa: E402
from retake.embedded import start_dev_server  # noqa: E402

PYTHON = sys.executable


@dataclass
class Stack:
    env: WorkflowEnvironment | None
    pool: asyncpg.Pool
    dsn: str
    tmp: Path

    @property
    def client(self) -> Client:
        return self.env.client

    @property
    def temporal_address(self) -> str:
        return self.env.client.service_client.config.target_host

    def settings(self, *, veo=None, **extra) -> Settings:
        """Worker settings: the emulated Veo when given (else preview), offline planner.

        Veo runs in project mode with a service-account key file from the emulator, as
        docs/operations.md configures real Veo.
        """
        values: dict = {
            "database_url": self.dsn,
            "RETAKE_VIDEO_STORE_DIR": str(self.tmp / "videos"),
            "RETAKE_DATA_DIR": str(self.tmp / "data"),
            "openai_api_key": None,
            "google_api_key": None,
            "RETAKE_VIDEO_BACKEND": "preview",
        }
        if veo is not None:
            key = veo.write_service_account_key(self.tmp / "veo-service-account.json")
            values.update(google_cloud_project=veo.project, google_cloud_location=veo.location,
                          google_application_credentials=key, veo_base_url=veo.base_url,
                          RETAKE_VIDEO_BACKEND="veo",
                          # no quota at the emulator: the submit queue's limiter stays out of
                          # the way (bench_quota.py measures it)
                          RETAKE_VEO_REQUESTS_PER_MINUTE=60000)
        values.update(extra)
        return Settings(**values)


def start_postgres(folder: Path) -> pgserver.PostgresServer:
    """A pgserver Postgres in `folder` (kept traversable: as root it runs as user pgserver)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    return pgserver.get_server(folder / "pgdata", cleanup_mode="stop")


@contextlib.asynccontextmanager
async def bench_stack(pool_size: int = 10, temporal: bool = True) -> AsyncIterator[Stack]:
    tmp = Path(tempfile.mkdtemp(prefix="retake-bench-"))
    os.chmod(tmp, 0o755)
    server = await asyncio.to_thread(start_postgres, tmp / "pg")
    dsn = server.get_uri()
    pool = await create_pool(dsn, min_size=1, max_size=pool_size)
    env = await start_dev_server(ui=False) if temporal else None
    try:
        yield Stack(env=env, pool=pool, dsn=dsn, tmp=tmp)
    finally:
        if env is not None:
            await env.shutdown()
        await pool.close()
        with contextlib.suppress(Exception):
            await asyncio.to_thread(server.cleanup)  # stops Postgres, removes its data
        shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def veo_emulator_process(job_seconds: float) -> Iterator[str]:
    """The Veo emulator in its own process (standalone mode); yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "tests.emulators.veo_emulator", "--port", str(port),
         "--job-seconds", str(job_seconds)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/_emulator/counters")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary_ms(values_s: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds of durations given in seconds."""
    return statistics.median(values_s) * 1000, percentile(values_s, 0.95) * 1000


def sample_with_local_references(folder: Path, asset_base_url: str) -> Path:
    """The sample job with its reference-image URLs served by the Veo emulator.

    The fixture's storage.example.com cannot be reached here; a failed download would
    time differently from a real one, so both benchmark paths fetch real (tiny) images.
    """
    import re

    from activities.job_store.sample_data import default_sample_path

    text = default_sample_path().read_text()
    text = re.sub(r"https://storage\.example\.com/jobs/[^/\"]+/refs/([^\"/]+)",
                  lambda m: f"{asset_base_url}/_emulator/assets/{m.group(1)}", text)
    path = folder / "sample_job_local_refs.json"
    path.write_text(text)
    return path
