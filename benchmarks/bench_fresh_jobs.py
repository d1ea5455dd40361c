"""The learned poll schedule on jobs it did not learn from (issue 34).

The adaptive schedule is planned from a model's recent durations (at most
generation_times.RECENT); the next job is a fresh draw. This replays, with the activity's
own rules, schedules learned from twenty samples of each size on 2,000 fresh durations
from the same spread (log-normal, median 75 s, sigma 0.35, clipped to 40-180 s) and
counts how often both noticing goals hold (median <= 2 s, p95 <= 5 s), for the product's
rules at each sample size and for the rules before issue 34's margins (a plan aimed at
exactly 50% / 95% of fifty durations, half of Silverman's smoothing, the 15 s fallback
past the plan). Pure: no servers, a few minutes.

    .venv/bin/python benchmarks/bench_fresh_jobs.py [--trials 20]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from contextlib import contextmanager

import activities.video.poll_schedule as schedule_rules
from activities.video.generation_times import RECENT

FALLBACK = 15.0
BEFORE = dict(BANDWIDTH_SCALE=0.5, planned_shares=lambda samples: (0.5, 0.95),
              PAST_PLAN_SHARE=1.0)
SIZES = (5, 10, 20, RECENT)
# Learning from more durations, with margins narrowed as the standard error allows
# (no floor at fifty) and Silverman's bandwidth scaled by (50 / n) ** 0.3: the cheapest
# rules found for 500 samples, and why the product keeps fifty (docs/benchmarks.md).
LONGER_SIZES = (100, 200, 500)


def narrower(samples: int) -> dict:
    n = samples
    return dict(BANDWIDTH_SCALE=min(1.0, (50 / n) ** 0.3), PAST_PLAN_SHARE=1 / 3,
                planned_shares=lambda _: (0.5 + 2**0.5 * math.sqrt(0.25 / n),
                                          0.95 + math.sqrt(0.0475 / n)))


def draw(rng: random.Random, n: int) -> list[float]:
    return [min(180.0, max(40.0, 75.0 * math.exp(rng.gauss(0.0, 0.35)))) for _ in range(n)]


def walk(schedule, finish: float) -> tuple[int, float]:
    """Checks and lag for one job, as the wait activity paces them (>= 1 s apart)."""
    t = schedule_rules.wait_before_first_check(schedule, 0.0, FALLBACK) or 0.0
    checks = 1
    while t < finish:
        t += max(schedule_rules.next_check_in(schedule, t, FALLBACK) or FALLBACK, 1.0)
        checks += 1
    return checks, t - finish


@contextmanager
def settings(values: dict | None):
    saved = {k: getattr(schedule_rules, k) for k in BEFORE}
    for key, value in (values or {}).items():
        setattr(schedule_rules, key, value)
    schedule_rules._plan.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            setattr(schedule_rules, key, value)
        schedule_rules._plan.cache_clear()


def trials(count: int, values: dict | None, size: int = 50) -> dict:
    rng = random.Random(5)
    fresh = draw(rng, 2000)
    rows = []
    with settings(values):
        for _ in range(count):
            learned = schedule_rules.learned_schedule(draw(rng, size))
            walks = [walk(learned, finish) for finish in fresh]
            lags = sorted(lag for _, lag in walks)
            rows.append((statistics.fmean(c for c, _ in walks), lags[len(lags) // 2],
                         lags[int(0.95 * len(lags))]))
    met = sum(median <= 2.0 and p95 <= 5.0 for _, median, p95 in rows)
    return dict(met=met, checks=statistics.fmean(r[0] for r in rows),
                worst_median=max(r[1] for r in rows), worst_p95=max(r[2] for r in rows))


def run(count: int = 20) -> str:
    rows = [(size, trials(count, None, size)) for size in SIZES]
    before = trials(count, BEFORE)
    longer = [(size, trials(count, narrower(size), size)) for size in LONGER_SIZES]
    fifty_shares = schedule_rules.planned_shares(RECENT)
    fifty = dict(planned_shares=lambda _: fifty_shares)
    fixed = [(size, trials(count, fifty, size)) for size in SIZES[:-1]]

    def row(label: str, f: dict) -> str:
        return (f"| {label} | {f['met']} of {count} | {f['checks']:.2f} ({f['checks'] + 1:.2f}) "
                f"| {f['worst_median']:.2f} s | {f['worst_p95']:.2f} s |")

    return "\n".join([
        "## Adaptive polling on fresh jobs: the learned schedule out of its sample",
        "",
        f"{count} schedules per row, each learned from that many durations, replayed with the "
        "activity's own rules on the same 2,000 fresh durations (log-normal, median 75 s, "
        "sigma 0.35, clipped to 40-180 s); 15 s fallback. The product learns from at most "
        f"{RECENT} (generation_times.RECENT).",
        "",
        "| rules, durations learned from | both noticing goals met | checks per job "
        "(with the submit) | worst median lag | worst p95 lag |",
        "|---|---|---|---|---|",
        *(row(f"today, {size}: plan for {m:.1%} / {p:.1%}, Silverman's whole smoothing", f)
          for size, f in rows for m, p in [schedule_rules.planned_shares(size)]),
        *(row(f"fifty's margins at {size}: plan for 60.0% / 98.1%", f) for size, f in fixed),
        row("before, 50: half Silverman, plan for exactly 50% / 95%, fallback past the plan",
            before),
        *(row(f"narrower margins, {size}: plan for {m:.1%} / {p:.1%}, "
              f"{b:.2f} of Silverman's smoothing", f)
          for size, f in longer
          for m, p, b in [(*narrower(size)["planned_shares"](size),
                           narrower(size)["BANDWIDTH_SCALE"])]),
        "",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    print(run(parser.parse_args().trials))
