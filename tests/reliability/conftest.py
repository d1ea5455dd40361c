"""Fixtures of the reliability suite: worker processes, private emulators, figures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulators.openai_emulator import OpenAIEmulator
from tests.reliability.figures import REPORT_ENV, Figures
from tests.reliability.helpers import GatedVeo
from tests.support.worker_process import WorkerProcess, worker_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def figures() -> Iterator[Figures]:
    collected = Figures()
    yield collected
    target = os.environ.get(REPORT_ENV)
    if target and collected.rows:
        if os.environ.get("PYTEST_XDIST_WORKER"):  # each process holds only its own rows
            raise RuntimeError(f"{REPORT_ENV} needs one test process: add -n 0")
        collected.write(ROOT / target)


@pytest.fixture
def temporal_address(temporal_client) -> str:
    return temporal_client.service_client.config.target_host


@pytest.fixture
def spawn_worker(tmp_path: Path, task_queue: str, temporal_address: str, app_database_url: str):
    """`spawn_worker(name, openai=..., veo=..., **env)` -> a started-later WorkerProcess.

    Each gets its own data folder and log file; all are stopped after the test. By default
    it connects as the application's login (a password, no DDL rights), as in production.
    """
    made: list[WorkerProcess] = []

    def _spawn(name: str = "worker", *, database_url: str | None = None,
               queue: str | None = None, address: str | None = None, **kwargs) -> WorkerProcess:
        env = worker_env(
            temporal_address=address or temporal_address,
            database_url=database_url or app_database_url,
            task_queue=queue or task_queue,
            data_dir=tmp_path / name,
            **kwargs,
        )
        process = WorkerProcess(env, tmp_path / f"{name}.log")
        made.append(process)
        return process

    yield _spawn
    for process in made:
        if process.running:
            process.kill()


@pytest.fixture
def own_veo() -> Iterator[GatedVeo]:
    """A Veo emulator of this test's own: its counters are this test's alone."""
    emulator = GatedVeo().start()
    try:
        yield emulator
    finally:
        emulator.open_gate()
        emulator.stop()


@pytest.fixture
def own_llm():
    """An OpenAI emulator of this test's own (an EmulatorControl)."""
    with OpenAIEmulator() as emulator:
        yield emulator.control()
