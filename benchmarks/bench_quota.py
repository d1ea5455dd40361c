"""Quota safety across workers (issue 12): a burst of regenerations against Veo's per-minute quota.

N regenerations are started at once against the Veo emulator (its own process) with a
per-minute quota (sliding 60 s window, 429 RESOURCE_EXHAUSTED + RetryInfo, as Vertex
answers). Two `python worker.py` processes serve them, in project mode with a
service-account key from the emulator, each with RETAKE_VEO_REQUESTS_PER_MINUTE set to
the quota: the Temporal server rate-limits the shared Veo submit queue, so the fleet as
a whole stays under the quota. Measured: completions, quota 429s per submission, and
the time to drain against N / quota minutes.

    .venv/bin/python benchmarks/bench_quota.py [--workflows 300] [--quota 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

from stack import (
    PYTHON,
    REPO,
    bench_stack,
    free_port,
    sample_with_local_references,
    wait_for_http,
)
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle

from activities.job_store.sample_data import load_sample_job
from retake.client import start_regeneration
from retake.wiring import veo_submit_rate_per_second
from workflows.models import RegenerateClipInput, RegenerateOptions

CLIPS_PER_JOB = 6
START_CONCURRENCY = 20
GA_MODEL = "veo-3.1-generate-001"


def http_json(url: str, payload: dict | None = None) -> dict:
    import urllib.request

    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        return json.loads(answer.read())


def start_emulator(quota: int, job_seconds: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "tests.emulators.veo_emulator", "--port", str(port),
         "--job-seconds", str(job_seconds), "--quota-per-minute", str(quota)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/_emulator/counters")
    return proc, url


def start_worker(stack, veo_url: str, key_path: Path, queue: str, rpm: float,
                 name: str) -> subprocess.Popen:
    config = http_json(f"{veo_url}/_emulator/counters")  # (reachability check)
    del config
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RETAKE_", "OPENAI_", "GOOGLE_", "VEO_"))}
    env.update(
        TEMPORAL_ADDRESS=stack.temporal_address,
        DATABASE_URL=stack.dsn,
        GOOGLE_APPLICATION_CREDENTIALS=str(key_path),
        GOOGLE_CLOUD_PROJECT=json.loads(key_path.read_text())["project_id"],
        GOOGLE_CLOUD_LOCATION="us-central1",
        VEO_BASE_URL=veo_url,
        RETAKE_VIDEO_BACKEND="veo",
        RETAKE_TASK_QUEUE=queue,
        RETAKE_VEO_REQUESTS_PER_MINUTE=str(rpm),
        RETAKE_VIDEO_STORE_DIR=str(stack.tmp / "videos"),
        RETAKE_DATA_DIR=str(stack.tmp / name),
        PYTHONUNBUFFERED="1",
    )
    log = open(stack.tmp / f"{name}.log", "w")
    return subprocess.Popen([PYTHON, "worker.py"], cwd=REPO, env=env, stdout=log, stderr=log)


async def submitted_at(handle: WorkflowHandle) -> float:
    """When the submission activity completed (server time)."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            return event.event_time.ToDatetime().timestamp()
    raise AssertionError(f"{handle.id}: no completed submission")


async def wait_for_log(path: Path, line: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while line not in (path.read_text() if path.exists() else ""):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name}: {line!r} not seen")
        await asyncio.sleep(0.2)


async def measure(n: int, quota: int, job_seconds: float, poll_seconds: float,
                  rpm: float | None) -> dict:
    rpm = rpm or float(quota)
    async with bench_stack(pool_size=4) as stack:
        emulator, veo_url = start_emulator(quota, job_seconds)
        workers: list[subprocess.Popen] = []
        try:
            key = http_json(f"{veo_url}/_emulator/service_account", {"name": "retake-bench"})
            key_path = stack.tmp / "service-account.json"
            key_path.write_text(json.dumps(key))
            sample_path = sample_with_local_references(stack.tmp, veo_url)
            jobs = -(-n // CLIPS_PER_JOB)
            job_ids = [await load_sample_job(stack.pool, sample_path, uuid.uuid4())
                       for _ in range(jobs)]
            refs = [(j, c) for j in job_ids for c in range(CLIPS_PER_JOB)][:n]

            queue = f"bench-quota-{uuid.uuid4().hex[:6]}"
            for i in range(2):
                workers.append(start_worker(stack, veo_url, key_path, queue, rpm, f"worker{i}"))
            for i in range(2):
                await wait_for_log(stack.tmp / f"worker{i}.log", "worker on task queue")

            options = RegenerateOptions(video_model=GA_MODEL, poll_interval_seconds=poll_seconds,
                                        deadline_seconds=3600)
            gate = asyncio.Semaphore(START_CONCURRENCY)

            async def start(job_id, clip) -> WorkflowHandle:
                async with gate:
                    return await start_regeneration(stack.client, RegenerateClipInput(
                        job_id=job_id, clip_index=clip, instruction="make it nighttime",
                        options=options), task_queue=queue)

            t0 = time.time()
            handles = await asyncio.gather(*(start(j, c) for j, c in refs))
            started_s = time.time() - t0

            async def finish(handle: WorkflowHandle) -> tuple[float, float]:
                try:
                    result = await handle.result()
                except WorkflowFailureError as err:
                    raise RuntimeError(f"{handle.id}: {err.cause!r}") from err
                assert result.status == "completed", result
                return time.time(), await submitted_at(handle)

            async def bounded_finish(handle: WorkflowHandle) -> tuple[float, float]:
                async with gate:
                    return await finish(handle)

            ends = await asyncio.gather(*(bounded_finish(h) for h in handles))
            closed, submitted = [e[0] for e in ends], [e[1] for e in ends]
            counters = http_json(f"{veo_url}/_emulator/counters")
            paid = http_json(f"{veo_url}/_emulator/paid")
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                await asyncio.to_thread(worker.wait, 30)
            emulator.terminate()
            emulator.wait(10)
    return dict(n=n, quota=quota, rpm=rpm, job_seconds=job_seconds, poll_seconds=poll_seconds,
                started_s=started_s, drain_s=max(closed) - t0, completed=len(closed),
                submit_span_s=max(submitted) - min(submitted),
                counters=counters, paid=len(paid))


def run(n: int = 300, quota: int = 120, job_seconds: float = 5.0, poll_seconds: float = 2.0,
        rpm: float | None = None) -> str:
    f = asyncio.run(measure(n, quota, job_seconds, poll_seconds, rpm))
    c = f["counters"]
    rejections = c.get("quota_rejections", 0)
    submits = c.get("submit_requests", 0)
    share = rejections / max(f["paid"], 1)
    ideal = n / quota * 60
    lines = [
        "## Quota safety: a burst against Veo's per-minute quota, two workers",
        "",
        f"{n} regenerations started at once (bounded to {START_CONCURRENCY} concurrent start "
        f"calls: {f['started_s']:.1f} s) against the Veo emulator with a quota of {quota} "
        f"submissions per minute (sliding 60 s window; over it: 429 RESOURCE_EXHAUSTED with "
        f"RetryInfo, as Vertex answers). Two `python worker.py` processes in project mode, "
        f"each with `RETAKE_VEO_REQUESTS_PER_MINUTE={f['rpm']:g}`: the Temporal server "
        f"dispatches the shared Veo submit queue at {veo_submit_rate_per_second(f['rpm']):.3g} "
        "tasks/s for both (the setting less the limiter's burst allowance, "
        "`retake/wiring.py`). Emulated "
        f"jobs take {job_seconds:g} s, polled every {poll_seconds:g} s.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| regenerations completed | {f['completed']} of {n} | all: "
        f"**{'met' if f['completed'] == n else 'missed'}** |",
        f"| paid submissions (accepted operations) | {f['paid']} | {n}: one per regeneration |",
        f"| quota 429s from the emulator | {rejections} ({share:.1%} of submissions; "
        f"{submits} submit requests in all) | <= 1 %: **{'met' if share <= 0.01 else 'missed'}** |",
        f"| submissions spread over (first to last accepted) | {f['submit_span_s']:.0f} s: "
        f"{(f['paid'] - 1) / max(f['submit_span_s'], 1e-9) * 60:.0f} per minute | <= {quota} per "
        "minute |",
        f"| time to drain (first start to last completion) | {f['drain_s']:.0f} s | close to "
        f"{n}/{quota} min = {ideal:.0f} s (+ one job and its checks) |",
        "",
        "Why the allowance (earlier runs of this benchmark on 2026-11-25, before it existed, "
        "with the queue dispatched at exactly the set rate): at 120/min the same burst got 5 "
        "quota 429s (1.7 %) and drained in 173 s; at 110/min and at 114/min, none (206 s "
        "and 188 s). Five extra is consistent with the server's limiter letting a backlog's "
        "first tasks through at once (about one per queue partition) on top of its rate; "
        "the limiter also runs a little under its set rate, which is why the drain takes "
        "longer than the ideal. A 429 that does come is retried after its RetryInfo delay: "
        "it costs time, not money.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workflows", type=int, default=300)
    parser.add_argument("--quota", type=int, default=120)
    parser.add_argument("--job-seconds", type=float, default=5.0)
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--rpm", type=float, default=None,
                        help="RETAKE_VEO_REQUESTS_PER_MINUTE (default: the quota)")
    args = parser.parse_args()
    print(run(args.workflows, args.quota, args.job_seconds, args.poll_seconds, args.rpm))
