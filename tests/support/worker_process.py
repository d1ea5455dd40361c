"""`python worker.py` as a separate process that a test can SIGKILL and start again.

Crash tests need a worker that dies for real: no `finally`, no graceful drain, its
sockets and Postgres connections cut mid-call. `WorkerProcess` starts the real worker
program with an environment built from the emulators and a database URL, appends
every incarnation's output to one log file (so a leak scan sees them all), and
counts its kills.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.subprocess_env import scrubbed_env
from tests.support.temporal import TEST_VEO_REQUESTS_PER_MINUTE

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "worker on task queue"


def worker_env(
    *,
    temporal_address: str,
    database_url: str,
    task_queue: str,
    data_dir: Path,
    openai=None,
    veo=None,
    **extra: str,
) -> dict[str, str]:
    """The worker's environment: emulators in place of providers, a private data folder.

    `openai` / `veo` are emulator controls (anything with .api_key and .base_url), or
    None for the offline planner / the preview video backend.
    """
    env = scrubbed_env()
    env.update(
        TEMPORAL_ADDRESS=temporal_address,
        TEMPORAL_NAMESPACE="default",
        DATABASE_URL=database_url,
        RETAKE_TASK_QUEUE=task_queue,
        RETAKE_DATA_DIR=str(data_dir),
        RETAKE_VIDEO_STORE_DIR=str(data_dir / "videos"),
        RETAKE_VIDEO_BACKEND="preview",
        RETAKE_ADAPTIVE_POLLING="false",  # the shared database's history would pace the waits
        RETAKE_WORKFLOW_SANDBOX="strict",  # CI checks what production passes through
        OPENAI_API_KEY="",
        PYTHONUNBUFFERED="1",
    )
    if openai is not None:
        env.update(OPENAI_API_KEY=openai.api_key, OPENAI_BASE_URL=openai.base_url)
    if veo is not None:  # project mode with ADC: a service-account key file, real token exchange
        Path(data_dir).mkdir(parents=True, exist_ok=True)
        key = veo.write_service_account_key(Path(data_dir) / "veo-service-account.json")
        env.update(veo.adc_env(key), VEO_BASE_URL=veo.base_url, RETAKE_VIDEO_BACKEND="veo",
                   RETAKE_VEO_REQUESTS_PER_MINUTE=str(TEST_VEO_REQUESTS_PER_MINUTE))
    env.update(extra)
    return env


@dataclass
class WorkerProcess:
    """One worker program; `start`, `kill` (SIGKILL), `restart`, `stop` (SIGTERM)."""

    env: dict[str, str]
    log_path: Path
    program: tuple[str, ...] = ("worker.py",)  # what `python` runs, from the project root
    kills: int = 0
    starts: int = 0
    _proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def start(self, *, wait_ready: bool = True, timeout: float = 90.0) -> WorkerProcess:
        """Start the program; by default return once it says it polls its task queue."""
        if self.running:
            raise RuntimeError("the worker process is already running")
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- worker start {self.starts} ---\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                [sys.executable, *self.program], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        if wait_ready:
            await self.wait_ready(timeout)
        return self

    async def wait_ready(self, timeout: float = 90.0) -> None:
        marker = f"--- worker start {self.starts} ---"
        async with asyncio.timeout(timeout):
            while True:
                text = self.log_text()
                if READY_LINE in text[text.rfind(marker):]:
                    return
                if not self.running:
                    raise RuntimeError(f"the worker process exited early:\n{text[-3000:]}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        if not self.running:
            raise RuntimeError("the worker process is not running")
        self._proc.send_signal(signal.SIGKILL)
        self._proc.wait(30)
        self.kills += 1

    async def restart(self, **kwargs) -> WorkerProcess:
        if self.running:
            self.kill()
        return await self.start(**kwargs)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM and wait (the worker drains); SIGKILL if it does not stop in time."""
        if not self.running:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(10)
