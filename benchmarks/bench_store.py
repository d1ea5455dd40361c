"""Streaming store: 100 concurrent stores of 50 MB videos, the worker's peak RSS.

Each store fetches a finished Veo operation whose video is inline (base64 in the
operation JSON, as Vertex answers when no storageUri was given: ~67 MB of JSON per
50 MB video) from tests/emulators/video_feed.py in its own process, decodes it as it
streams, hashes it and writes it to the local store (temp file, then rename). The
worker (benchmarks/store_worker.py: VideoActivities as worker.py builds them, the
default 100 activity slots) runs the product's store activity, scheduled as
RegenerateClipWorkflow schedules it (benchmarks/store_only_workflow.py). Its RSS is
sampled with psutil every 0.2 s.

    .venv/bin/python benchmarks/bench_store.py [--stores 100] [--video-mb 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
import uuid

import psutil
from stack import PYTHON, REPO, bench_stack, free_port, wait_for_http
from store_only_workflow import StoreOnlyWorkflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.emulators.video_feed import video_sha256
from workflows.step_models import StoredVideo, StoreVideoRequest

OPERATION = "projects/bench/locations/us-central1/publishers/google/models/veo-3.1-generate-001"


def rss_mb(proc: psutil.Process) -> float:
    return proc.memory_info().rss / 2**20


async def sample(proc: psutil.Process, into: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(rss_mb(proc))
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except TimeoutError:
            pass


async def measure(stores: int, video_mb: float) -> dict:
    video_bytes = int(video_mb * 2**20)
    async with bench_stack(pool_size=2) as stack:
        port = free_port()
        feed = subprocess.Popen(
            [PYTHON, "-m", "tests.emulators.video_feed", "--port", str(port),
             "--video-mb", str(video_mb)], cwd=REPO, stdout=subprocess.DEVNULL)
        queue = f"bench-store-{uuid.uuid4().hex[:6]}"
        log = open(stack.tmp / "store-worker.log", "w")
        worker = subprocess.Popen(
            [PYTHON, "benchmarks/store_worker.py", stack.temporal_address, queue,
             f"http://127.0.0.1:{port}", str(stack.tmp / "videos")],
            cwd=REPO, stdout=log, stderr=log)
        try:
            await asyncio.to_thread(wait_for_http, f"http://127.0.0.1:{port}/", 30)
        except OSError:
            pass  # the feed answers GET with 405: listening is what counts
        try:
            client = await Client.connect(stack.temporal_address,
                                          data_converter=pydantic_data_converter)
            proc = psutil.Process(worker.pid)
            await asyncio.sleep(3)
            idle = rss_mb(proc)
            samples, stop = [], asyncio.Event()
            sampler = asyncio.create_task(sample(proc, samples, stop))
            job = uuid.uuid4()
            t0 = time.monotonic()
            results: list[StoredVideo] = await asyncio.gather(*(
                client.execute_workflow(
                    StoreOnlyWorkflow.run,
                    StoreVideoRequest(operation_name=f"{OPERATION}/operations/op-{i}",
                                      backend="veo", job_id=job, clip_index=i,
                                      regeneration_id=f"bench-store-{i}"),
                    id=f"bench-store-{uuid.uuid4().hex[:8]}", task_queue=queue)
                for i in range(stores)))
            took = time.monotonic() - t0
            stop.set()
            await sampler
        finally:
            worker.terminate()
            feed.terminate()
            await asyncio.to_thread(worker.wait, 30)
            await asyncio.to_thread(feed.wait, 30)
    expected = video_sha256(video_bytes)
    assert all(r.size_bytes == video_bytes and r.sha256 == expected for r in results), results[:2]
    return dict(stores=stores, video_mb=video_mb, idle=idle, peak=max(samples),
                median=statistics.median(samples), took=took)


def run(stores: int = 100, video_mb: float = 50.0) -> str:
    f = asyncio.run(measure(stores, video_mb))
    gb = f["stores"] * f["video_mb"] / 1024
    met = "met" if f["peak"] < 500 else "missed"
    return "\n".join([
        "## Streaming store: concurrent stores of large videos",
        "",
        f"{f['stores']} stores started at once, each of a {f['video_mb']:.0f} MB video that "
        "Veo returns inline (base64 in the operation JSON, ~"
        f"{f['video_mb'] * 4 / 3:.0f} MB per answer), served by "
        "`tests/emulators/video_feed.py` in its own process. One worker process runs the "
        "product's store activity (decode while streaming, sha256 while writing, temp file "
        "then rename) with the default 100 activity slots; RSS sampled with psutil every "
        "0.2 s. Every stored file's size and sha256 were checked.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| worker peak RSS | {f['peak']:.0f} MB (idle {f['idle']:.0f} MB, median while "
        f"storing {f['median']:.0f} MB) | < 500 MB: **{met}** |",
        f"| all {f['stores']} stores done | {f['took']:.1f} s ({gb:.1f} GB written, "
        f"{gb * 1024 / f['took']:.0f} MB/s on the 2 shared cores) | |",
        "",
        "Before this change the store (and google-genai's parse of the operation) held each "
        "whole answer and video in memory: at least the 67 MB JSON plus the 50 MB video per "
        "store, over 10 GB for 100 at once (an estimate from the sizes, not run here).",
        "",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--video-mb", type=float, default=50.0)
    args = parser.parse_args()
    print(run(args.stores, args.video_mb))
