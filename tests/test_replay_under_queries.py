"""Every history replays, even when the chatbot follows progress from the first moment.

A query waiting when a worker picks up a run's first workflow task makes the SDK split
that task at the first local activity (workflows/patches.py explains; tests/sdk_repro/
reproduces it without Retake code). Runs recorded that way replayed only while cached:
a restart left them stuck after Veo was paid. Here 40 regenerations are started with no
worker, a progress query waits on each before a worker exists and keeps asking every
50 ms (starter.py asks every 0.5 s), then every history is replayed with today's code.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from uuid import uuid4

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.job_store.sample_data import load_sample_job
from retake.client import start_regeneration
from retake.wiring import WORKFLOWS
from tests.support.temporal import retake_settings
from workflows import patches
from workflows.models import RegenerateClipInput, RegenerateOptions
from workflows.regenerate_clip import RegenerateClipWorkflow

JOBS, CLIPS = 10, 4  # 40 regenerations
FAST = RegenerateOptions(poll_interval_seconds=0.2, deadline_seconds=120)
SPLIT_FIXTURE = Path(__file__).parent / "histories" / "split_by_query.json"


async def _follow(client: Client, workflow_id: str, done: asyncio.Event) -> int:
    """The chatbot's pattern: ask for progress until the run ends; how many answers came."""
    handle = client.get_workflow_handle(workflow_id)
    answers = 0
    while not done.is_set():
        try:
            await handle.query(RegenerateClipWorkflow.progress)
            answers += 1
        except Exception:  # noqa: BLE001 - a query racing the run's end; keep asking
            pass
        await asyncio.sleep(0.05)
    return answers


def marker_order(history: WorkflowHistory) -> tuple[list[str], int | None]:
    """(kinds of markers in order, index of the first local-activity marker)."""
    kinds = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
    first_local = next((i for i, k in enumerate(kinds) if k == "core_local_activity"), None)
    return kinds, first_local


def split_at_first_local_activity(history: WorkflowHistory) -> bool:
    """True when the workflow task that recorded the first local activity's marker ended
    right there and a new task followed: the shape a waiting query forces."""
    events = list(history.events)
    for i, event in enumerate(events):
        if (
            event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
        ):
            following = events[i + 1] if i + 1 < len(events) else None
            return following is not None and following.event_type in (
                EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            )
    return False


async def test_histories_replay_when_queries_wait_from_the_start(
    temporal_client, run_worker, db_pool, task_queue, tmp_path
):
    jobs = [await load_sample_job(db_pool, job_id=uuid4()) for _ in range(JOBS)]
    inputs = [
        RegenerateClipInput(job_id=job, clip_index=clip, instruction="make it nighttime",
                            options=FAST)
        for job in jobs
        for clip in range(CLIPS)
    ]
    handles = [
        await start_regeneration(temporal_client, inp, task_queue=task_queue, eager=False)
        for inp in inputs
    ]
    done = asyncio.Event()
    followers = [asyncio.create_task(_follow(temporal_client, h.id, done)) for h in handles]
    await asyncio.sleep(0.5)  # queries are waiting before any worker polls
    async with run_worker(retake_settings(tmp_path)):
        results = await asyncio.gather(*(h.result() for h in handles))
        # Stopped while a worker still answers: a query on a closed run needs one, and
        # without it each follower's last query waited out its RPC (30 s of the test).
        done.set()
        answered = await asyncio.gather(*followers)
    assert all(r.status == "completed" for r in results)
    assert sum(answered) > len(handles), "the progress queries were answered throughout"

    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
    failures, late, split = [], [], []
    for handle in handles:
        history = await handle.fetch_history()
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append(f"{handle.id}: {result.replay_failure}")
        kinds, first_local = marker_order(history)
        if "core_patch" in kinds[first_local:]:
            late.append(handle.id)
        if split_at_first_local_activity(history):
            split.append(history)
    assert failures == [], f"{len(failures)} of {len(handles)} do not replay: {failures[:3]}"
    assert late == [], f"{len(late)} runs recorded a patch after a local activity: {late[:3]}"
    # The test means something only if the dangerous shape happened.
    assert split, "no run was split by a waiting query: the test exercised nothing"
    if os.environ.get("RETAKE_RECORD_HISTORIES"):  # the split shape, kept for the replay test
        SPLIT_FIXTURE.write_text(split[0].to_json())


def test_every_patch_of_a_new_run_is_decided_first():
    """The lint: workflow code reads patches only through workflows/patches.py, and every
    workflow decides its patches before anything else it records."""
    import ast

    root = Path(__file__).parents[1] / "workflows"
    for path in root.rglob("*.py"):
        if path.name == "patches.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"patched", "deprecate_patch"}:
                raise AssertionError(
                    f"{path.relative_to(root.parent)}:{node.lineno} calls workflow."
                    f"{node.attr}: decide it in patches.decide_first, read it with applies()"
                )
    ids = [p.id for p in patches.ALL]
    assert len(ids) == len(set(ids))
    for group in (patches.REGENERATION, patches.BATCH, patches.LATE_COLLECTOR, patches.VERSIONS):
        assert set(group) <= set(patches.ALL)
