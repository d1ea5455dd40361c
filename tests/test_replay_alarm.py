"""A worker that cannot replay a run says so at once: one ERROR line and a metric.

A run recorded by another build (here, a stand-in registered under the regeneration's
type name that records a patch today's code never makes) is handed to worker.py as
operators run it; a progress query makes the worker replay it. Without the alarm the
SDK only logs a core warning per retry and the run sits stuck, silently.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
import uuid

from temporalio import workflow
from temporalio.worker import Worker

from tests.support.worker_process import WorkerProcess, worker_env
from tests.test_worker_process import free_port
from workflows import conventions
from workflows.models import RegenerateClipInput

RETIRED_PATCH = "a-patch-no-build-of-today-makes"


@workflow.defn(name=conventions.WORKFLOW_TYPE, sandboxed=False)
class OtherBuildsRegeneration:
    """What another build recorded: a patch marker, then a long wait."""

    @workflow.query
    def progress(self) -> str:
        return "waiting"

    @workflow.run
    async def run(self, inp: dict) -> None:
        workflow.patched(RETIRED_PATCH)
        await workflow.wait_condition(lambda: False)


async def test_a_run_that_does_not_replay_is_reported_with_its_id_and_patch(
    temporal_client, postgres_dsn, tmp_path
):
    queue = f"retake-alarm-{uuid.uuid4().hex[:8]}"
    inp = RegenerateClipInput(job_id=uuid.uuid4(), clip_index=0, instruction="make it blue")
    workflow_id = conventions.workflow_id_for(inp.job_id, inp.clip_index)
    async with Worker(temporal_client, task_queue=queue, workflows=[OtherBuildsRegeneration]):
        handle = await temporal_client.start_workflow(
            conventions.WORKFLOW_TYPE, inp, id=workflow_id, task_queue=queue
        )
        await handle.query("progress")  # its first task is done: the marker is in history

    metrics = f"127.0.0.1:{free_port()}"
    worker = WorkerProcess(
        worker_env(
            temporal_address=temporal_client.service_client.config.target_host,
            database_url=postgres_dsn, task_queue=queue, data_dir=tmp_path / "data",
            RETAKE_METRICS_ADDRESS=metrics,
        ),
        tmp_path / "worker.log",
    )
    await worker.start()
    try:
        async with asyncio.timeout(60):
            while "STUCK RUN" not in worker.log_text():
                try:  # each query makes today's worker replay the run's history
                    await asyncio.wait_for(handle.query("progress"), timeout=5)
                except Exception:  # noqa: BLE001 - it cannot answer: that is the point
                    pass
                await asyncio.sleep(0.5)
        body = await asyncio.to_thread(
            lambda: urllib.request.urlopen(f"http://{metrics}/metrics", timeout=10).read().decode()
        )
    finally:
        worker.stop()
        await handle.terminate("test over")
    line = next(x for x in worker.log_text().splitlines() if "STUCK RUN" in x)
    assert workflow_id in line and conventions.WORKFLOW_TYPE in line
    assert RETIRED_PATCH in line  # what did not match
    assert "ERROR" in line
    assert re.search(
        r'retake_stuck_runs\w*\{[^}]*workflow_type="RegenerateClipWorkflow"[^}]*\} 1\b', body
    ), [x for x in body.splitlines() if "stuck" in x]
