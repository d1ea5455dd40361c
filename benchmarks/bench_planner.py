"""Planning speed of the pure decision engine, and how often no LLM call is needed.

Plans every labelled instruction (template or offline rules, then the refinement) many
times and reports per-instruction latency, throughput, and the share of the labelled
instructions a template answers alone. `run()` returns a markdown section for docs/.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from activities.planner.offline_planner import plan_offline  # noqa: E402

SHARED_EVAL = REPO.parent / "shared" / "eval" / "instructions.jsonl"
UNSEEN = REPO / "tests" / "data" / "unseen_instructions.jsonl"
ROUNDS = 200


def _load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _template_share(items: list[dict]) -> float:
    rng = random.Random(0)
    fired = sum(
        plan_offline(i["instruction"], i["prompt"], i["original_seed"], rng).template_id
        is not None
        for i in items
    )
    return fired / len(items) if items else 0.0


def run() -> str:
    labelled, unseen = _load(SHARED_EVAL), _load(UNSEEN)
    items = labelled + unseen
    rng = random.Random(0)
    timings_us: list[float] = []
    started = time.perf_counter()
    for _ in range(ROUNDS):
        for item in items:
            t0 = time.perf_counter_ns()
            plan_offline(item["instruction"], item["prompt"], item["original_seed"], rng)
            timings_us.append((time.perf_counter_ns() - t0) / 1000)
    elapsed = time.perf_counter() - started
    timings_us.sort()
    p95 = timings_us[int(0.95 * (len(timings_us) - 1))]
    lines = [
        "## Planner (pure decision engine)",
        "",
        f"{len(items)} instructions ({len(labelled)} shared labelled + {len(unseen)} held-out), "
        f"{ROUNDS} rounds, {len(timings_us)} plans, one process, Python {sys.version.split()[0]}.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| planning time per instruction, median | {statistics.median(timings_us):.0f} µs |",
        f"| planning time per instruction, p95 | {p95:.0f} µs |",
        f"| planning time per instruction, max | {timings_us[-1]:.0f} µs |",
        f"| decisions per second (one core) | {len(timings_us) / elapsed:,.0f} |",
        f"| shared labelled instructions answered by a template (no LLM call) | "
        f"{_template_share(labelled):.0%} |",
        f"| held-out instructions answered by a template | {_template_share(unseen):.0%} |",
        "",
        f"- Target (issue 3): planning far below a millisecond: median "
        f"{statistics.median(timings_us):.0f} µs, p95 {p95:.0f} µs: "
        f"**{'met' if p95 < 1000 else 'missed'}** (the p95 under 1 ms).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
