"""The deploy runbook's check: `starter.py replay-check` replays every open run's history
with this build and names the runs that would hang on it (exit 1), before it is current."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

from temporalio.worker import Worker

from retake.client import plan_regeneration
from tests.support.subprocess_env import scrubbed_env
from tests.support.temporal import retake_settings
from tests.test_replay_alarm import OtherBuildsRegeneration
from workflows import conventions
from workflows.models import RegenerateClipInput, RegenerateOptions

ROOT = Path(__file__).resolve().parent.parent


async def test_replay_check_names_the_runs_this_build_cannot_replay(
    temporal_client, run_worker, sample_job_id, task_queue, tmp_path
):
    stranger = RegenerateClipInput(job_id=uuid.uuid4(), clip_index=0, instruction="x")
    async with Worker(temporal_client, task_queue=task_queue,
                      workflows=[OtherBuildsRegeneration]):
        other = await temporal_client.start_workflow(
            conventions.WORKFLOW_TYPE, stranger, task_queue=task_queue,
            id=conventions.workflow_id_for(stranger.job_id, 0),
        )
        await other.query("progress")
    async with run_worker(retake_settings(tmp_path)):  # today's build: a plan awaiting confirm
        ours, _ = await plan_regeneration(temporal_client, RegenerateClipInput(
            job_id=sample_job_id, clip_index=1, instruction="make it brighter",
            options=RegenerateOptions(confirm_first=True)), task_queue=task_queue)
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "starter.py", "replay-check", "--query",
            f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=scrubbed_env(TEMPORAL_ADDRESS=temporal_client.service_client.config.target_host),
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        await other.terminate("test over")
        await temporal_client.get_workflow_handle(ours.id).terminate("test over")
    text = out.decode()
    assert proc.returncode == 1, (text, err.decode()[-2000:])
    assert "1 of 2 open runs do NOT replay" in text
    assert other.id in text and "a-patch-no-build-of-today-makes" in text
    assert ours.id not in text
