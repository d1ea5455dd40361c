"""The Temporal dev server, with a state file, stopped and started again mid-wait.

A dev server of this test's own (fixed free ports, state in a tmp folder) and a worker
process pointed at it. While Veo is generating, the server goes down for a few
seconds and comes back from its state file on the same port; the worker reconnects
by itself and the regeneration completes with one submission and one new version.
The outage overlapped a running generation: when the server stopped, Veo had accepted
the one operation and not yet answered "done" to any status check; its first "done"
came after the server was back.
"""

from __future__ import annotations

import asyncio
import socket
import time
from uuid import uuid4

from activities.job_store.sample_data import load_sample_job
from retake.client import start_regeneration
from retake.embedded import start_dev_server
from tests.reliability.helpers import (
    RECOVERY_TIMEOUT,
    GatedVeo,
    between_attempts,
    request,
    versions,
    wait_until,
)
from workflows.regenerate_clip import RegenerateClipWorkflow

DOWN_SECONDS = 3.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_dev_server_restart_mid_wait_and_the_regeneration_completes(
    tmp_path, db_pool, spawn_worker, figures
):
    port, state = free_port(), tmp_path / "temporal" / "state.db"
    server = await start_dev_server(port=port, state_file=state, ui=False)
    veo = GatedVeo(job_seconds=10.0).start()
    try:
        worker = spawn_worker("server-restart", veo=veo, address=f"127.0.0.1:{port}")
        await worker.start()
        job = await load_sample_job(db_pool, job_id=uuid4())
        handle = await start_regeneration(
            server.client, request(job, 1), task_queue=worker.env["RETAKE_TASK_QUEUE"])
        await wait_until(lambda: between_attempts(handle, "wait_for_generation", 2), timeout=90)

        paid_before = [p["operation_name"] for p in veo.paid_submissions()]
        done_before = dict(veo.done_at)
        await server.shutdown()
        stopped = time.monotonic()
        await asyncio.sleep(DOWN_SECONDS)  # the outage: the worker's polls fail meanwhile
        server = await start_dev_server(port=port, state_file=state, ui=False)
        back = time.monotonic()
        down = back - stopped

        same = server.client.get_workflow_handle_for(
            RegenerateClipWorkflow.run, handle.id, run_id=handle.result_run_id)
        result = await asyncio.wait_for(same.result(), RECOVERY_TIMEOUT)
        submissions = veo.counters()["submissions_accepted"]
        done_at = dict(veo.done_at)
        assert worker.running  # the same worker process rode out the outage
    finally:
        veo.stop()
        await server.shutdown()

    assert result.status == "completed" and result.version == 2
    assert submissions == 1
    [operation] = paid_before  # submitted before the outage...
    assert done_before == {}  # ...still running when the server stopped...
    assert done_at[operation] > back  # ...and first seen done after it came back
    assert await versions(db_pool, job, 1) == [1, 2]
    figures.add(
        "Temporal dev server (state file) stopped and restarted mid-wait",
        runs=1, completions=1, submissions=submissions, versions=1,
        notes=f"server down {down:.0f} s while Veo was generating; same worker process reconnected",
    )
