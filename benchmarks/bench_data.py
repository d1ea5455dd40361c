"""Context load time: one round trip (load_clip_context) vs one query per stage (the four loaders).

Two jobs: the 6-clip sample job, and the same job grown to 500 clips (clips, prompts
and clip scripts repeated with new indexes). The one-trip path is the activity the
workflow runs (JobStoreActivities.load_clip_context); the original approach is the
four data_loader functions, one query each, then picking the clip out of the lists.

    .venv/bin/python benchmarks/bench_data.py [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import os
import time
import uuid

from stack import bench_stack, summary_ms
from temporalio.testing import ActivityEnvironment

from activities.job_store import stage_loaders as data_loader
from activities.job_store.job_store_activities import JobStoreActivities
from activities.job_store.sample_data import load_sample_job, read_sample
from activities.postgres.pool import reset_shared_pool
from workflows.step_models import ClipRef

WARMUP = 10


def grown_stages(clips: int) -> dict:
    """The sample job's stages with `clips` clips (cycled from the sample's six)."""
    _, stages = read_sample()
    stages = copy.deepcopy(stages)
    vg = stages["video_generator"]["clips"]
    pg = stages["prompt_generator"]
    sp = stages["scene_planner"]

    def grow(items: list[dict]) -> list[dict]:
        return [{**copy.deepcopy(items[i % len(items)]), "clip_index": i} for i in range(clips)]

    vg["clips"] = grow(vg["clips"])
    vg["total_clips"] = clips
    pg["clip_prompts"] = grow(pg["clip_prompts"])
    pg["total_clips"] = clips
    sp["clip_scripts"] = grow(sp["clip_scripts"])
    return stages


async def insert_job(pool, stages: dict) -> uuid.UUID:
    job = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO jobs (id, status) VALUES ($1, 'completed')", job)
        await conn.executemany(
            "INSERT INTO job_stages (job_id, stage_name, status, metadata) VALUES ($1, $2, 'completed', $3)",
            [(job, name, metadata) for name, metadata in stages.items()],
        )
    return job


async def four_queries(job_id: uuid.UUID, clip: int):
    """The original approach: every stage loaded whole, then the clip picked out."""
    clips = await data_loader.load_clips_from_job_stages(job_id)
    prompts = await data_loader.load_clip_prompts_from_job_stages(job_id)
    plan = await data_loader.load_scene_plan_from_job_stages(job_id)
    refs = await data_loader.load_reference_images_from_job_stages(job_id)
    assert clips and prompts and plan and refs
    return clips.clips[clip], prompts.clip_prompts[clip], plan, refs


async def timed(runs: int, one) -> list[float]:
    for _ in range(WARMUP):
        await one()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        await one()
        times.append(time.perf_counter() - t0)
    return times


async def measure(runs: int) -> dict:
    async with bench_stack(temporal=False) as stack:
        os.environ["DATABASE_URL"] = stack.dsn  # the loaders' shared pool
        try:
            acts = JobStoreActivities(stack.pool)
            env = ActivityEnvironment()
            small = await load_sample_job(stack.pool, job_id=uuid.uuid4())
            large = await insert_job(stack.pool, grown_stages(500))
            figures = {}
            for name, job, clip in (("6", small, 3), ("500", large, 250)):
                ref = ClipRef(job_id=job, clip_index=clip)
                context = await env.run(acts.load_clip_context, ref)
                assert context.clip_index == clip  # (ClipContext has no clip count)
                figures[name] = {
                    "one_trip": await timed(runs, lambda r=ref: env.run(acts.load_clip_context, r)),
                    "four": await timed(runs, lambda j=job, c=clip: four_queries(j, c)),
                    "bytes": await stack.pool.fetchval(
                        "SELECT sum(octet_length(metadata::text)) FROM job_stages WHERE job_id = $1", job),
                    "context_bytes": len(context.model_dump_json()),
                }
            return figures
        finally:
            await reset_shared_pool()
            os.environ.pop("DATABASE_URL", None)


def run(runs: int = 200) -> str:
    f = asyncio.run(measure(runs))
    lines = [
        "## Data: loading one clip's context",
        "",
        f"{runs} sequential loads per row after {WARMUP} warm-up loads; the same asyncpg pool "
        "settings on both paths; Postgres 16 (pgserver) on the same machine.",
        "",
        "| job | approach | median | p95 | what crosses into the workflow |",
        "|---|---|---|---|---|",
    ]
    faster = True
    for name in ("6", "500"):
        g = f[name]
        one, four = summary_ms(g["one_trip"]), summary_ms(g["four"])
        faster = faster and one[0] < four[0]
        lines += [
            f"| {name} clips ({g['bytes'] / 1024:,.0f} KiB of stage JSON) | one round trip "
            f"(`load_clip_context`) | {one[0]:.2f} ms | {one[1]:.2f} ms | {g['context_bytes']:,} B "
            "(one clip's context) |",
            f"| | one query per stage (the four `data_loader` functions) | {four[0]:.2f} ms | "
            f"{four[1]:.2f} ms | all four stages, whole |",
        ]
    lines += ["", "- Target (issue 6): one round trip, faster than one query per stage, at 6 and "
              f"500 clips: **{'met' if faster else 'missed'}** (the load is one SQL statement: "
              "tests/test_job_store.py counts them).", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    print(run(parser.parse_args().runs))
