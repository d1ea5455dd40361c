"""The chatbot's client needs temporalio and pydantic only, never the worker side.

A subprocess blocks every worker-side module on import, imports `retake.client`,
and starts a real regeneration on the dev server (no worker polls its queue, so
nothing runs). If any import reached for a blocked module, the child fails.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from temporalio.client import Client

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = [
    "asyncpg", "openai", "google.genai", "google.auth", "numpy", "PIL", "imageio", "httpx2",
    "pydantic_settings", "pgserver", "activities",
]

CHILD = textwrap.dedent(
    """
    import asyncio, importlib.abc, sys, uuid

    BLOCKED = {blocked!r}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"blocked on purpose: {{name}}")
            return None

    sys.meta_path.insert(0, Block())

    from retake.client import RegenerateClipInput, connect, start_regeneration

    async def main():
        client = await connect({address!r})
        inp = RegenerateClipInput(job_id=uuid.UUID({job!r}), clip_index=3,
                                  instruction="make it nighttime")
        handle = await start_regeneration(client, inp, task_queue={queue!r}, eager=False)
        print(handle.id)
        loaded = sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".")
                                                      for b in BLOCKED))
        print("loaded:", loaded, flush=True)

    asyncio.run(main())
    # As the starter does (retake/process.py): no interpreter teardown after the SDK ran,
    # which now and then aborts ("PyGILState_Release ... finalizing"; seen in a CI rehearsal).
    from retake.process import exit_without_teardown
    exit_without_teardown(0)
    """
)


async def test_client_imports_and_starts_without_worker_dependencies(temporal_client: Client):
    job = str(uuid.uuid4())
    queue = f"light-client-{uuid.uuid4().hex[:8]}"
    code = CHILD.format(
        blocked=BLOCKED, address=temporal_client.service_client.config.target_host,
        job=job, queue=queue,
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    workflow_id, loaded = done.stdout.strip().splitlines()
    assert workflow_id == f"regenerate-{job}-3" and loaded == "loaded: []"
    handle = temporal_client.get_workflow_handle(workflow_id)
    desc = await handle.describe()
    assert desc.workflow_type == "RegenerateClipWorkflow" and desc.task_queue == queue
    await handle.terminate("light-client test: nothing to run")
