"""Orchestration overhead: one regeneration through Temporal vs the same steps called directly.

Providers are instant (Veo emulator with job_seconds=0, the OpenAI emulator), so what
is left is Retake's own cost. Both paths run the same activity methods in the same
order (load -> GPT rewrite -> refine -> submit -> one status check that stores ->
persist); the direct path calls them one after another in one asyncio function
(temporalio.testing.ActivityEnvironment gives them their activity context). Beside
it, the server's floor: the round trip of an empty workflow, lazily and eagerly started.

    .venv/bin/python benchmarks/bench_overhead.py [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid

from empty_workflow import EmptyWorkflow
from stack import bench_stack, sample_with_local_references, summary_ms
from temporalio.api.enums.v1 import EventType
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from activities.job_store.sample_data import load_sample_job
from retake.client import start_regeneration
from retake.wiring import RetakeActivities, build_worker
from tests.emulators.openai_emulator import OpenAIEmulator
from tests.emulators.veo_emulator import VeoEmulator
from workflows import decisions
from workflows.models import RegenerateClipInput, RegenerateOptions
from workflows.step_models import (
    ClipRef,
    GenerationRequest,
    PersistRequest,
    StoreTarget,
    WaitRequest,
)
from workflows.validation import validate

INSTRUCTION = "give her a green umbrella and make the sign blue"  # no template: GPT-4o is asked
WARMUP = 3
SPACED = 0.5  # seconds of quiet before each run in the spaced rows


def request(job_id: uuid.UUID, clip: int) -> RegenerateClipInput:
    return RegenerateClipInput(
        job_id=job_id, clip_index=clip, instruction=INSTRUCTION,
        options=RegenerateOptions(poll_interval_seconds=1.0, deadline_seconds=120),
    )


async def direct(acts: RetakeActivities, inp: RegenerateClipInput) -> int:
    """The same steps, called directly: what a plain asyncio service would do."""
    env = ActivityEnvironment()
    validate(inp)
    context = await env.run(acts.job_store.load_clip_context,
                            ClipRef(job_id=inp.job_id, clip_index=inp.clip_index))
    plan = await decisions.plan_clip(
        inp.instruction, context, conversation=inp.conversation, rng=random.Random(),
        video_model=inp.options.video_model,
        ask_planner=lambda request: env.run(acts.prompt.suggest_prompt, request),
        aspect_ratio=inp.options.aspect_ratio)
    regeneration_id = f"direct-{uuid.uuid4()}"
    submission = await env.run(acts.video.submit_generation, GenerationRequest(
        regeneration_id=f"{regeneration_id}/0", job_id=inp.job_id, clip_index=inp.clip_index,
        model=plan.video_model, prompt=plan.prompt, negative_prompt=plan.negative_prompt,
        seed=plan.seed, duration_seconds=plan.duration_seconds,
        reference_image_urls=plan.reference_image_urls, enhance_prompt=plan.enhance_prompt,
        delivered_seconds=plan.cut_to_seconds()))
    # As the workflow does since issue 34: the check that finds it done stores it.
    status = await env.run(acts.video.wait_for_generation, WaitRequest(
        operation_name=submission.operation_name, backend=submission.backend,
        store=StoreTarget(job_id=inp.job_id, clip_index=inp.clip_index,
                          regeneration_id=regeneration_id,
                          delivered_seconds=plan.cut_to_seconds())))
    stored = status.stored
    persisted = await env.run(acts.job_store.persist_clip_version, PersistRequest(
        job_id=inp.job_id, clip_index=inp.clip_index, regeneration_id=regeneration_id,
        video_url=stored.url, prompt=plan.prompt, negative_prompt=plan.negative_prompt,
        user_instruction=inp.instruction, seed=plan.seed, temperature=plan.temperature))
    return persisted.version_number


async def timed(runs: int, one, idle: float = 0.0) -> list[float]:
    """Wall time of `one(i)` for `runs` sequential runs, after a short warm-up; `idle`
    seconds of quiet before each timed run."""
    for i in range(WARMUP):
        await one(i)
    times = []
    for i in range(runs):
        await asyncio.sleep(idle)
        t0 = time.perf_counter()
        await one(i)
        times.append(time.perf_counter() - t0)
    return times


async def history_shape(handle) -> tuple[int, int, int]:
    """(events, workflow tasks, activity tasks) of one regeneration's history."""
    events = (await handle.fetch_history()).events
    kinds = [e.event_type for e in events]
    return (len(events), kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
            kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))


async def measure(runs: int) -> dict:
    veo, llm = VeoEmulator(job_seconds=0.0).start(), OpenAIEmulator().__enter__()
    try:
        async with bench_stack() as stack:
            control = llm.control()
            settings = stack.settings(veo=veo,
                                      openai_api_key=control.api_key,
                                      openai_base_url=control.base_url)
            acts = RetakeActivities.from_settings(settings, stack.pool)
            sample = sample_with_local_references(stack.tmp, veo.base_url)
            job_id = await load_sample_job(stack.pool, sample, job_id=uuid.uuid4())
            queue = f"bench-overhead-{uuid.uuid4().hex[:6]}"
            empty_queue = queue + "-empty"
            client = stack.client
            shapes: list[tuple[int, int, int]] = []

            async def through_temporal(i: int, eager: bool = False) -> None:
                handle = await start_regeneration(client, request(job_id, i % 6),
                                                  task_queue=queue, eager=eager)
                result = await handle.result()
                assert result.status == "completed" and result.planner.value == "llm", result
                if i == 0:
                    shapes.append(await history_shape(handle))

            async def empty(i: int, eager: bool = False) -> None:
                await client.execute_workflow(EmptyWorkflow.run, id=f"empty-{uuid.uuid4()}",
                                              task_queue=empty_queue, request_eager_start=eager)

            async with build_worker(client, settings, acts, task_queue=queue), \
                    Worker(client, task_queue=empty_queue, workflows=[EmptyWorkflow]):
                figures = {
                    "direct": await timed(runs, lambda i: direct(acts, request(job_id, i % 6))),
                    "temporal": await timed(runs, through_temporal),
                    "temporal_eager": await timed(runs, lambda i: through_temporal(i, True)),
                    "empty": await timed(runs, empty),
                    "empty_eager": await timed(runs, lambda i: empty(i, True)),
                    "direct_spaced": await timed(runs, lambda i: direct(acts, request(job_id, i % 6)),
                                                 SPACED),
                    "temporal_eager_spaced": await timed(runs, lambda i: through_temporal(i, True),
                                                         SPACED),
                    "empty_spaced": await timed(runs, empty, SPACED),
                }
            figures["shape"] = shapes[0]
            figures["llm_calls"] = control.counters()["total"]
            return figures
    finally:
        veo.stop()
        llm.__exit__(None, None, None)


def run(runs: int = 50) -> str:
    f = asyncio.run(measure(runs))
    med = {k: summary_ms(f[k]) for k in ("direct", "temporal", "temporal_eager", "empty",
                                         "empty_eager", "direct_spaced", "temporal_eager_spaced",
                                         "empty_spaced")}
    spaced = med["temporal_eager_spaced"][0] - med["direct_spaced"][0]
    overhead = med["temporal"][0] - med["direct"][0]
    overhead_eager = med["temporal_eager"][0] - med["direct"][0]
    floor = med["empty"][0]
    events, wfts, activity_tasks = f["shape"]
    rows = [
        ("direct: the same activity methods in one asyncio function", med["direct"]),
        ("through Temporal, eager start (the default of `start_regeneration`)", med["temporal_eager"]),
        ("through Temporal, lazy start (`eager=False`)", med["temporal"]),
        ("empty workflow round trip (the server's floor)", med["empty"]),
        ("empty workflow round trip, eager start", med["empty_eager"]),
        (f"spaced ({SPACED:g} s quiet before each run): direct", med["direct_spaced"]),
        ("spaced: through Temporal, eager start", med["temporal_eager_spaced"]),
        ("spaced: empty workflow round trip", med["empty_spaced"]),
    ]
    verdict = "met" if overhead_eager <= 3 * floor else "missed"  # the default path
    lines = [
        "## Orchestration overhead",
        "",
        f"One regeneration with instant emulated providers (Veo emulator job_seconds=0, OpenAI "
        f"emulator; instruction \"{INSTRUCTION}\" so every step runs, GPT rewrite included), "
        f"{runs} sequential runs per row after {WARMUP} warm-up runs.",
        "",
        "| path | median | p95 |",
        "|---|---|---|",
        *[f"| {name} | {m:.1f} ms | {p:.1f} ms |" for name, (m, p) in rows],
        "",
        f"- **Overhead (Temporal - direct, medians), default eager start: "
        f"{overhead_eager:.1f} ms** = {overhead_eager / floor:.1f} empty round trips "
        f"(lazy start: {overhead:.1f} ms = {overhead / floor:.1f}). Target <= 3 round trips "
        f"({3 * floor:.0f} ms here): **{verdict}**; issue 34's goal, <= 4 back to back: "
        f"**{'met' if overhead_eager / floor <= 4 else 'missed'}**.",
        f"- Spaced runs: overhead {spaced:.1f} ms (medians), against an empty round trip of "
        f"{med['empty_spaced'][0]:.1f} ms = {spaced / med['empty_spaced'][0]:.1f} empty round "
        "trips (issue 34's goal: <= 3). On this dev server a task that follows a just-finished "
        "run waits about 40 ms to be dispatched (each of the regeneration's dispatches: the "
        "submit and wait activity tasks and the workflow tasks after them, five since issue "
        "34 moved the store into the final check, six before; `benchmarks/dispatch_stall.py` "
        "shows it with a three-activity workflow and no Retake code), so back-to-back runs "
        "measure that stall once per dispatch; after a short quiet the same dispatches take a "
        "few ms. Real Veo jobs take minutes, so in production the spaced figure is the one "
        "that applies.",
        f"- One regeneration's history: {events} events, {wfts} workflow tasks, "
        f"{activity_tasks} activity tasks (submit; wait, whose final check streams the video "
        "to the store, issue 34); load, budgets, rewrite and persist are local activities "
        "(markers). GPT calls made "
        f"over all runs: {f['llm_calls']}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    print(run(parser.parse_args().runs))
