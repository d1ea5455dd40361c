"""SIGKILL the worker process inside each stage; a new worker finishes the regeneration.

Every stage runs as its own scenario, all at once: its own job, its own worker
process and task queue, its own emulators (so counts are its own). A hold keeps the
regeneration in its stage until the kill lands there:

- loading:     a test transaction holds LOCK TABLE clip_versions (the context load reads it)
- planning:    the OpenAI emulator delays its reply
- after submit: the kill lands as soon as history shows the submit activity completed
- waiting:     Veo takes 8 s; the kill lands between two status checks
- persisting:  a test transaction holds the clip's video_generator row FOR UPDATE
- storing:     the Veo emulator holds the store's fetch request at the wire

Afterwards: exactly one Veo submission, and exactly one new version, per regeneration.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from uuid import uuid4

from activities.job_store.sample_data import load_sample_job
from retake.client import start_regeneration
from tests.emulators.openai_emulator import OpenAIEmulator
from tests.reliability.helpers import (
    LLM_INSTRUCTION,
    RECOVERY_TIMEOUT,
    GatedVeo,
    HeldLock,
    activity_completed,
    between_attempts,
    request,
    stage_of,
    versions,
    wait_until,
)

CLIP = 2
STAGES = ["loading", "planning", "after submit", "waiting", "storing", "persisting"]


def app_dsn(dsn: str, name: str) -> str:
    """The DSN with an application_name, so pg_stat_activity tells the workers apart."""
    return f"{dsn}{'&' if '?' in dsn else '?'}application_name={name}"


async def run_stage_scenario(stage: str, *, temporal_client, db_pool, postgres_dsn,
                             spawn_worker) -> dict:
    """Hold one regeneration in `stage`, SIGKILL its worker there, restart, await the result."""
    tag = stage.replace(" ", "-")
    async with AsyncExitStack() as stack:
        veo = GatedVeo(job_seconds={"waiting": 8.0, "after submit": 3.0}.get(stage, 0.5)).start()
        stack.callback(veo.stop)
        stack.callback(veo.open_gate)
        llm = stack.enter_context(OpenAIEmulator()).control()
        job = await load_sample_job(db_pool, job_id=uuid4())
        app = f"retake-kill-{tag}"
        worker = spawn_worker(tag, queue=f"kill-{tag}-{uuid4().hex[:6]}", openai=llm, veo=veo,
                              database_url=app_dsn(postgres_dsn, app))
        await worker.start()
        instruction = LLM_INSTRUCTION if stage == "planning" else "make it nighttime"
        inp = request(job, CLIP, instruction)

        lock = None
        if stage == "loading":
            lock = await stack.enter_async_context(
                HeldLock(postgres_dsn, "LOCK TABLE clip_versions IN ACCESS EXCLUSIVE MODE"))
        elif stage == "persisting":
            lock = await stack.enter_async_context(HeldLock(
                postgres_dsn,
                "SELECT id FROM job_stages WHERE job_id = $1 AND stage_name = 'video_generator'"
                " FOR UPDATE", job))
        elif stage == "planning":
            llm.push_fault(delay=120)  # the first planner call hangs until the kill
        elif stage == "storing":
            veo.hold_fetch = True

        handle = await start_regeneration(temporal_client, inp, task_queue=worker.env["RETAKE_TASK_QUEUE"])

        async def in_stage() -> bool:
            if stage in ("loading", "persisting"):
                return await lock.blocked_query(app)
            if stage == "planning":
                return await stage_of(handle) == "planning" and llm.counters()["total"] >= 1
            if stage == "after submit":
                return await activity_completed(handle, "submit_generation")
            if stage == "waiting":
                return await between_attempts(handle, "wait_for_generation", min_attempt=2)
            return veo.held >= 1  # storing

        await wait_until(in_stage, timeout=90, every=0.05)
        # Load, plan and persist are local activities: the workflow task is busy, so the
        # evidence is the blocked backend, the request in flight, or the history.
        seen = {
            "loading": "context load blocked on the clip_versions lock",
            "planning": "planner request in flight at the OpenAI emulator",
            "after submit": "submit completed in history",
            "persisting": "persist blocked on the clip's row lock",
            "storing": "store's video fetch held at the Veo emulator",
        }.get(stage) or await stage_of(handle)
        worker.kill()
        killed_at = time.monotonic()
        if lock is not None:
            await lock.release()
        veo.open_gate()
        await worker.start()
        result = await asyncio.wait_for(handle.result(), RECOVERY_TIMEOUT)
        recovered = time.monotonic() - killed_at
        return {
            "stage": stage,
            "seen_stage": seen,
            "result": result,
            "submissions": veo.counters()["submissions_accepted"],
            "versions": await versions(db_pool, job, CLIP),
            "kills": worker.kills,
            "recovery_seconds": recovered,
        }


def check_and_record(outcome: dict, figures) -> None:
    stage, result = outcome["stage"], outcome["result"]
    assert result.status == "completed" and result.version == 2, (stage, result)
    assert outcome["submissions"] == 1, outcome  # never paid twice
    assert outcome["versions"] == [1, 2], outcome  # the original and exactly one new version
    figures.add(
        f"SIGKILL {'right after submit completed' if stage == 'after submit' else 'while ' + stage}",
        runs=1, kills=outcome["kills"], completions=1, submissions=outcome["submissions"],
        versions=len(outcome["versions"]) - 1,
        notes=f"stage seen at the kill: {outcome['seen_stage']}; "
              f"finished {outcome['recovery_seconds']:.0f} s after the kill",
    )


async def test_sigkill_in_each_stage_then_a_new_worker_finishes_exactly_once(
    temporal_client, db_pool, postgres_dsn, spawn_worker, figures
):
    outcomes = await asyncio.gather(*(
        run_stage_scenario(stage, temporal_client=temporal_client, db_pool=db_pool,
                           postgres_dsn=postgres_dsn, spawn_worker=spawn_worker)
        for stage in STAGES
    ))
    for outcome in outcomes:
        check_and_record(outcome, figures)
    assert next(o for o in outcomes if o["stage"] == "waiting")["seen_stage"] == "waiting"

