"""Providers that fail: transient faults are retried to completion, refusals fail fast.

- Both emulators answer 30% of requests with 429/500/502/503 (seeded), and a few calls
  hang past the worker's client timeout: every regeneration completes, and Veo
  accepts exactly one submission per regeneration.
- Wrong keys (OpenAI 401, Vertex 403) and 400s fail at once with a typed,
  non-retryable error: one request per failure, nothing persisted, nothing submitted.
Both scans every history, result, error and worker log line for the key values.
"""

from __future__ import annotations

import asyncio
import os
from uuid import uuid4

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError

from activities.job_store.sample_data import load_sample_job
from activities.postgres.dsn import dsn_passwords
from retake.client import start_regeneration
from tests.emulators.openai_emulator import OpenAIEmulator
from tests.reliability.helpers import (
    RECOVERY_TIMEOUT,
    GatedVeo,
    activity_attempts,
    request,
    versions,
)
from tests.reliability.leaks import history_text, leaks
from tests.reliability.money import check_paid_once
from tests.support.credentials import write_unknown_service_account_key
from workflows import error_types

SEED = int(os.environ.get("RETAKE_RELIABILITY_SEED", "20"))
FAULT_RATE = 0.3
LLM_INSTRUCTIONS = [  # none matches a template: each needs the planner
    "give her a green umbrella and make the sign blue",
    "add a red balloon drifting past the camera",
    "replace the car with a vintage bicycle",
    "put a black cat on the windowsill",
    "make the band wear matching yellow jackets",
    "add a flock of pigeons taking off behind them",
]
WRONG_OPENAI_KEY = "sk-wrong-key-reliab"
WRONG_GOOGLE_KEY = "AIzaWrongKeyReliability-01234"


async def test_thirty_percent_provider_faults_and_timeouts_then_all_complete(
    temporal_client, db_pool, spawn_worker, figures, app_database_url
):
    veo = GatedVeo(job_seconds=0.5, fault_rate=FAULT_RATE, fault_seed=SEED).start()
    with OpenAIEmulator(seed=SEED) as openai_emulator:
        llm = openai_emulator.control()
        llm.set_fault_rate(FAULT_RATE, seed=SEED)
        llm.push_fault(status=500, delay=4.0)  # outlives the 2 s client timeout
        veo.push_fault(status=503, delay=4.0, target="submit")
        veo.push_fault(status=503, delay=4.0, target="poll")
        worker = spawn_worker("faults", openai=llm, veo=veo,
                              OPENAI_TIMEOUT_SECONDS="2", VEO_TIMEOUT_SECONDS="2")
        try:
            await worker.start()
            job = await load_sample_job(db_pool, job_id=uuid4())
            handles = [
                await start_regeneration(temporal_client, request(job, clip, text),
                                         task_queue=worker.env["RETAKE_TASK_QUEUE"])
                for clip, text in enumerate(LLM_INSTRUCTIONS)
            ]
            results = await asyncio.wait_for(
                asyncio.gather(*(h.result() for h in handles)), RECOVERY_TIMEOUT)
            veo_counts, llm_counts = veo.counters(), llm.counters()
            paid_operations = veo.paid_submissions()
            texts = {f"history {h.id}": await history_text(h) for h in handles}
        finally:
            veo.stop()
    texts |= {f"result {r.clip_index}": r.model_dump_json() for r in results}
    texts["worker log"] = worker.log_text()

    n = len(LLM_INSTRUCTIONS)
    assert all(r.status == "completed" and r.version == 2 for r in results)
    assert all(r.planner.value == "llm" for r in results)
    assert veo_counts["submissions_accepted"] == n  # faults never turned into a second payment
    money = await check_paid_once(db_pool, paid_operations, [(job, clip) for clip in range(n)])
    assert money.extra == 0
    # A submit whose answer outlived the client timeout may have been paid: counted as a
    # possible duplicate (here it was a 503, so nothing extra was paid), in ledger and result.
    assert sum(r.possible_duplicate_charges for r in results) == money.counted
    # Every answer that was not a normal reply: status faults, and 429s the OpenAI
    # emulator now shapes (and counts) as rate_limit_exceeded.
    llm_faults = sum(v for k, v in llm_counts["outcomes"].items() if k != "ok")
    assert veo_counts["faults_injected"] >= 3 and llm_faults >= 2  # the faults really happened
    assert [await versions(db_pool, job, clip) for clip in range(n)] == [[1, 2]] * n
    assert leaks([veo.api_key, llm.api_key, *dsn_passwords(app_database_url)], texts) == []
    figures.add(
        f"providers failing {FAULT_RATE:.0%} of calls (429/5xx, seed {SEED}) plus client timeouts",
        runs=n, completions=n, submissions=veo_counts["submissions_accepted"], versions=n,
        notes=f"Veo faults answered: {veo_counts['faults_injected']} of {veo_counts['requests']} "
              f"requests; OpenAI faults: {llm_faults} of {llm_counts['total']}; "
              "no key in histories, results or the worker log",
    )


async def failure_of(handle) -> ApplicationError:
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(handle.result(), RECOVERY_TIMEOUT)
    cause = failure.value.cause
    while not isinstance(cause, ApplicationError) and cause is not None:
        cause = cause.cause
    assert isinstance(cause, ApplicationError), failure.value
    return cause


async def test_auth_failures_and_bad_requests_fail_fast_typed_and_unpaid(
    temporal_client, db_pool, spawn_worker, figures, tmp_path, app_database_url
):
    """Four refusals, each on emulators of its own: one request each, no retry, no write."""
    job = await load_sample_job(db_pool, job_id=uuid4())
    cases = {  # clip: (what, LLM instruction?, worker keys wrong?, fault to inject, expected type)
        0: ("OpenAI 401 (wrong key)", True, True, None, error_types.PROVIDER_AUTH),
        1: ("Vertex refuses the credentials", False, True, None, error_types.PROVIDER_AUTH),
        2: ("OpenAI 400", True, False, "openai", error_types.PROVIDER_BAD_REQUEST),
        3: ("Vertex 400", False, False, "veo", error_types.PROVIDER_BAD_REQUEST),
    }
    emulators, workers, handles = {}, [], {}
    try:
        for clip, (_what, _uses_llm, wrong, fault, _) in cases.items():
            veo, llm_server = GatedVeo().start(), OpenAIEmulator().start()
            llm = llm_server.control()
            emulators[clip] = (veo, llm_server, llm)
            if fault == "openai":
                llm.push_fault(status=400)
            if fault == "veo":
                veo.push_fault(status=400, target="submit", message="durationSeconds is invalid.")
            keys = {"OPENAI_API_KEY": WRONG_OPENAI_KEY, "GOOGLE_API_KEY": WRONG_GOOGLE_KEY,
                    "GOOGLE_APPLICATION_CREDENTIALS": str(write_unknown_service_account_key(
                        veo, tmp_path / f"unknown-{clip}.json"))} if wrong else {}
            workers.append(spawn_worker(f"refusal-{clip}", queue=f"refusal-{clip}-{uuid4().hex[:6]}",
                                        openai=llm, veo=veo, **keys))
        await asyncio.gather(*(w.start() for w in workers))
        for (clip, (_, uses_llm, *_rest)), worker in zip(cases.items(), workers):
            instruction = LLM_INSTRUCTIONS[0] if uses_llm else "make it nighttime"
            handles[clip] = await start_regeneration(
                temporal_client, request(job, clip, instruction),
                task_queue=worker.env["RETAKE_TASK_QUEUE"])
        causes = {clip: await failure_of(h) for clip, h in handles.items()}
        counts = {clip: (veo.counters(), llm.counters()) for clip, (veo, _, llm) in emulators.items()}
        texts = {f"history {h.id}": await history_text(h) for h in handles.values()}
        submit_attempts = {clip: await activity_attempts(h, "submit_generation")
                           for clip, h in handles.items()}
    finally:
        for veo, llm_server, _ in emulators.values():
            veo.stop()
            llm_server.stop()
    texts |= {f"error {clip}": f"{c.type} {c.message} {c.details}" for clip, c in causes.items()}
    texts |= {f"log {w.log_path.name}": w.log_text() for w in workers}

    for clip, (what, uses_llm, _, _, expected) in cases.items():
        cause, (veo_counts, llm_counts) = causes[clip], counts[clip]
        assert cause.type == expected and cause.non_retryable, (what, cause)
        assert cause.message.strip(), what
        if uses_llm:
            assert llm_counts["total"] == 1, (what, llm_counts)  # no retry storm
            assert veo_counts["submit_requests"] == 0, what
        elif clip == 1:  # the token exchange refused the key: Vertex never saw a request
            assert veo_counts["token_failures"] == 1 and veo_counts["submit_requests"] == 0, (
                what, veo_counts)
            assert submit_attempts[clip] == 1, what
        else:
            assert veo_counts["submit_requests"] == 1 and submit_attempts[clip] == 1, (what, veo_counts)
        assert veo_counts["submissions_accepted"] == 0, what
        assert await versions(db_pool, job, clip) == [], what  # nothing persisted
    # Refused submissions leave their reservation 'open' (nothing in flight), no operation.
    assert await db_pool.fetchval(
        "SELECT count(*) FROM veo_submissions WHERE job_id = $1 AND state <> 'open'", job) == 0
    assert await db_pool.fetchval("SELECT count(*) FROM veo_operations WHERE job_id = $1", job) == 0
    secrets = [WRONG_OPENAI_KEY, WRONG_GOOGLE_KEY] + [e[2].api_key for e in emulators.values()] + [
        e[0].api_key for e in emulators.values()] + dsn_passwords(app_database_url)
    assert leaks(secrets, texts) == []
    figures.add(
        "auth failures and 400s (OpenAI 401, refused Google key, OpenAI 400, Vertex 400)",
        runs=len(cases), completions=len(cases), submissions=0, versions=0,
        notes="each a non-retryable typed error after exactly 1 provider request; "
              "the emulator echoed the wrong OpenAI key, and it appears nowhere",
    )


async def test_a_vertex_refusal_reaches_the_caller_as_a_typed_application_error(
    temporal_client, task_queue, run_worker, tmp_path, sample_job_id, veo_emulator
):
    """README: 'Failures arrive as WorkflowFailureError whose cause is an ApplicationError
    with a type' - for a refusal inside submit too (it once arrived as an ActivityError)."""
    from tests.support.temporal import retake_settings

    veo_emulator.reset()
    veo_emulator.configure(static_token=False)
    unknown = write_unknown_service_account_key(veo_emulator, tmp_path / "unknown.json")
    settings = retake_settings(tmp_path, veo=veo_emulator, google_application_credentials=unknown)
    async with run_worker(settings):
        handle = await start_regeneration(
            temporal_client, request(sample_job_id, 1), task_queue=task_queue)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError), repr(cause)  # not an ActivityError wrapper
    assert cause.type == error_types.PROVIDER_AUTH
