"""How long planning one model's check times takes (the CPU a wait activity's first
plan costs; plans are cached per history, activities/video/generation_times.py).

Each plan is learned from fifty durations drawn like Veo's (log-normal, median 75 s,
sigma 0.35), a fresh sample every time so the cache never answers, at the default
15 s fallback: the same call `next_check_in` makes.

    .venv/bin/python benchmarks/bench_check_plan.py [--plans 40 --seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from activities.video.poll_schedule import learned_schedule  # noqa: E402

MEDIAN_S, SIGMA, SAMPLES, FALLBACK = 75.0, 0.35, 50, 15.0


def measure(plans: int, seed: int = 1) -> tuple[list[float], float]:
    """Milliseconds per plan (sorted), and the mean expected checks (the plans' identity)."""
    rng = random.Random(seed)
    took, checks = [], []
    for _ in range(plans):
        sample = [rng.lognormvariate(0, SIGMA) * MEDIAN_S for _ in range(SAMPLES)]
        schedule = learned_schedule(sample)
        start = time.perf_counter()
        plan = schedule.plan(FALLBACK)
        took.append(1000 * (time.perf_counter() - start))
        checks.append(plan.expected_checks)
    return sorted(took), statistics.fmean(checks)


def line(plans: int, seed: int = 1) -> str:
    took, checks = measure(plans, seed)
    return (f"plans {plans}: median {statistics.median(took):.0f} ms, "
            f"p95 {took[int(0.95 * (len(took) - 1))]:.0f} ms, max {took[-1]:.0f} ms; "
            f"expected checks (mean) {checks:.4f}")


def run(plans: int = 40) -> str:
    """The section benchmarks/run_all.py writes."""
    return "\n".join([
        "## Check-time planning: the CPU of one plan",
        "",
        f"Fifty durations like Veo's (log-normal, median {MEDIAN_S:g} s, sigma {SIGMA}), a "
        f"fresh sample per plan, fallback {FALLBACK:g} s: {line(plans)}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(line(args.plans, args.seed))


if __name__ == "__main__":
    main()
