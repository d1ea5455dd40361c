"""worker.py as operators run it: connects from the environment and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import urllib.request
from pathlib import Path

from tests.support.subprocess_env import scrubbed_env

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_worker_starts_from_env_serves_metrics_and_drains_on_sigterm(
    temporal_client, postgres_dsn, tmp_path
):
    log = tmp_path / "worker.log"
    metrics = f"127.0.0.1:{free_port()}"
    env = scrubbed_env(
        TEMPORAL_ADDRESS=temporal_client.service_client.config.target_host,
        DATABASE_URL=postgres_dsn,
        RETAKE_TASK_QUEUE="retake-sigterm-test",
        RETAKE_DATA_DIR=str(tmp_path),
        RETAKE_METRICS_ADDRESS=metrics,
    )
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "worker.py", cwd=ROOT, env=env, stdout=out, stderr=out
        )
        async with asyncio.timeout(60):
            while b"worker on task queue" not in log.read_bytes():
                assert proc.returncode is None, log.read_text()
                await asyncio.sleep(0.2)
        body = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://{metrics}/metrics", timeout=10).read().decode()
        )
        assert "temporal_" in body  # the SDK's Prometheus metrics
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), timeout=60)
    text = log.read_text()
    assert code == 0, text
    assert "offline planner" in text and "preview, not Veo" in text  # says what it runs on
    assert "stopping: finishing in-flight tasks" in text


async def test_a_worker_with_only_a_google_api_key_refuses_to_start_and_says_why(
    temporal_client, postgres_dsn, tmp_path, fresh_veo_emulator
):
    """Vertex AI express mode does not serve Veo: said at start, before any paid call."""
    log = tmp_path / "worker.log"
    env = scrubbed_env(
        TEMPORAL_ADDRESS=temporal_client.service_client.config.target_host,
        DATABASE_URL=postgres_dsn,
        RETAKE_TASK_QUEUE="retake-express-mode-test",
        RETAKE_DATA_DIR=str(tmp_path),
        OPENAI_API_KEY="",
        GOOGLE_API_KEY=fresh_veo_emulator.api_key,
        VEO_BASE_URL=fresh_veo_emulator.base_url,
    )
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "worker.py", cwd=ROOT, env=env, stdout=out, stderr=out
        )
        code = await asyncio.wait_for(proc.wait(), timeout=60)
    text = log.read_text()
    assert code == 2, text
    assert "cannot start" in text and "express mode" in text and "GOOGLE_CLOUD_PROJECT" in text
    assert "worker on task queue" not in text
    assert fresh_veo_emulator.api_key not in text
    assert fresh_veo_emulator.counters()["requests"] == 0
