"""SIGKILL the worker process inside each stage; a new worker finishes the regeneration.

Every stage runs as its own scenario, all at once: its own job, its own worker
process and task queue, its own emulators (so counts are its own). A hold keeps the
regeneration in its stage until the kill lands there:

- loading:     a test transaction holds LOCK TABLE clip_versions (the context load reads it)
- planning:    the OpenAI emulator delays its reply
- submitting:  Veo accepts (is paid for) the submit, then its answer is held at the wire;
               the retry finds the reservation 'submitting', pays again and counts it
- after submit: the kill lands as soon as history shows the submit activity completed
- waiting:     a status check is held at the wire; the kill lands inside that attempt
- persisting:  a test transaction holds the clip's video_generator row FOR UPDATE
- storing:     the Veo emulator holds the answer that says "done" (with the video) at the
               wire: the final status check stores the video from it (issue 34), so the
               kill lands inside that wait attempt, whose stage is still `waiting`

Afterwards: exactly one new version, and one Veo payment per regeneration, checked
against the emulator's paid operations and the ledger (tests/reliability/money.py);
the one possible duplicate (the kill mid-POST) is counted in the ledger and the result.
A kill inside a running submit, status check or store is noticed by the 10 s heartbeat
timeout: the retried attempt's recorded cause is TIMEOUT_TYPE_HEARTBEAT, not the
start-to-close timeout (60 s / 120 s).
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
    request,
    retry_causes,
    stage_of,
    versions,
    wait_until,
)
from tests.reliability.money import check_paid_once

CLIP = 2
STAGES = ["loading", "planning", "submitting", "after submit", "waiting", "storing",
          "persisting"]
HEARTBEAT = "TIMEOUT_TYPE_HEARTBEAT"
RETRIED = {"submitting": "submit_generation", "waiting": "wait_for_generation",
           "storing": "wait_for_generation"}  # the final check stores (issue 34)
STAGE_SHOWN = {"storing": "waiting"}  # the progress stage while the final check stores


def app_dsn(dsn: str, name: str) -> str:
    """The DSN with an application_name, so pg_stat_activity tells the workers apart."""
    return f"{dsn}{'&' if '?' in dsn else '?'}application_name={name}"


async def run_stage_scenario(stage: str, *, temporal_client, db_pool, postgres_dsn,
                             spawn_worker) -> dict:
    """Hold one regeneration in `stage`, SIGKILL its worker there, restart, await the result."""
    tag = stage.replace(" ", "-")
    async with AsyncExitStack() as stack:
        veo = GatedVeo(job_seconds={"after submit": 3.0}.get(stage, 0.5)).start()
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
        elif stage == "waiting":
            veo.hold_checks = True
        elif stage == "submitting":
            veo.hold_submit_answer = True

        handle = await start_regeneration(temporal_client, inp, task_queue=worker.env["RETAKE_TASK_QUEUE"])

        async def in_stage() -> bool:
            if stage in ("loading", "persisting"):
                return await lock.blocked_query(app)
            if stage == "planning":
                return await stage_of(handle) == "planning" and llm.counters()["total"] >= 1
            if stage == "after submit":
                return await activity_completed(handle, "submit_generation")
            return veo.held >= 1  # submitting, waiting, storing

        await wait_until(in_stage, timeout=90, every=0.05)
        # Load, plan and persist are local activities: the workflow task is busy, so the
        # evidence is the blocked backend, the request in flight, or the history.
        seen = {
            "loading": "context load blocked on the clip_versions lock",
            "planning": "planner request in flight at the OpenAI emulator",
            "after submit": "submit completed in history",
            "persisting": "persist blocked on the clip's row lock",
            "storing": "the final check's done answer (the video) held at the Veo emulator",
            "submitting": "submit accepted by Veo, its answer held at the wire",
            "waiting": "a status check held at the Veo emulator",
        }.get(stage) or await stage_of(handle)
        stage_at_kill = await stage_of(handle)
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
            "stage_at_kill": stage_at_kill,
            "result": result,
            "money": await check_paid_once(db_pool, veo.paid_submissions(), [(job, CLIP)]),
            "retry_causes": await retry_causes(handle, RETRIED[stage]) if stage in RETRIED else [],
            "versions": await versions(db_pool, job, CLIP),
            "kills": worker.kills,
            "recovery_seconds": recovered,
        }


def check_and_record(outcome: dict, figures) -> None:
    stage, result = outcome["stage"], outcome["result"]
    assert result.status == "completed" and result.version == 2, (stage, result)
    money = outcome["money"]
    # Only a kill mid-POST may pay twice, and then it is counted, in the ledger and result.
    expected_duplicates = 1 if stage == "submitting" else 0
    assert money.extra == money.counted == expected_duplicates, (stage, money)
    assert result.possible_duplicate_charges == expected_duplicates, (stage, result)
    assert outcome["versions"] == [1, 2], outcome  # the original and exactly one new version
    if stage in RETRIED:  # killed inside a running attempt: the heartbeat timeout noticed
        assert outcome["stage_at_kill"] == STAGE_SHOWN.get(stage, stage), outcome
        assert outcome["retry_causes"] == [HEARTBEAT], outcome
    causes = f"; retried after {outcome['retry_causes'][0]}" if outcome["retry_causes"] else ""
    figures.add(
        f"SIGKILL {'right after submit completed' if stage == 'after submit' else 'while ' + stage}",
        runs=1, kills=outcome["kills"], completions=1, submissions=money.paid,
        versions=len(outcome["versions"]) - 1,
        notes=f"stage seen at the kill: {outcome['seen_stage']}; "
              f"finished {outcome['recovery_seconds']:.0f} s after the kill{causes}; "
              f"possible duplicates counted: {money.counted}",
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

