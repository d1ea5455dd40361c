"""The fewest status checks any schedule needs to meet a lag goal, for a known spread.

A schedule that knows only how long a job has run (and the exact distribution of job
durations, which no real schedule does) picks check times t1 < t2 < ...; a job that
takes D seconds pays one request for every check up to the first t >= D, and its lag
is t - D. For the goal "median lag <= 2 s and p95 lag <= 5 s", the product's planner
(activities/video/check_times.py: dynamic programming on a 0.25 s grid, Lagrange
multipliers on the two lag shares; tests/test_check_times.py checks it against
exhaustive search) gives:

- a lower bound on the expected checks per job of every schedule meeting the goal
  (weak duality);
- the cheapest schedule it found that does meet it (an upper bound).

If the lower bound exceeds what a blocking 10 s loop makes, no polling schedule can
meet the lag goal with no more requests than the loop for that spread; only knowing
more about each job's duration than the spread (so its own spread is narrower) can.

    .venv/bin/python benchmarks/polling_bound.py [--median-s 75 --sigma 0.35 --low 40 --high 180]
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from activities.video.check_times import cheapest_checks

STEP = 0.25  # seconds per grid step


def lognormal_cdf(median: float, sigma: float, low: float, high: float, grid: np.ndarray):
    """P(D <= t) for a log-normal clipped to [low, high] (the clipped mass sits at the ends)."""
    z = np.log(np.maximum(grid, 1e-9) / median) / sigma
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))
    cdf[grid < low] = 0.0
    cdf[grid >= high] = 1.0
    return cdf


def bound(median: float, sigma: float, low: float, high: float, lag_median: float = 2.0,
          lag_p95: float = 5.0, loop_seconds: float = 10.0) -> dict:
    """The planner's bound and plan for this spread (noticing instantly, storing in no
    time: both flatter any real schedule), and the loop's expected requests."""
    grid = np.arange(0.0, high + 2 * STEP, STEP)
    cdf = lognormal_cdf(median, sigma, low, high, grid)
    plan = cheapest_checks(grid, cdf, lag_median, lag_p95)
    masses = np.diff(np.concatenate([[0.0], cdf]))
    loop = float(np.sum(masses * np.ceil(np.maximum(grid, STEP) / loop_seconds)))
    return dict(lower=plan.lower_bound, plan=plan, loop=loop)


def run(median: float = 75.0, sigma: float = 0.35, low: float = 40.0, high: float = 180.0) -> str:
    f = bound(median, sigma, low, high)
    p = f["plan"]
    feasible = (f"{p.expected_checks:.1f} checks (noticed within 2 s: {p.share_within_median:.2f}, "
                f"within 5 s: {p.share_within_p95:.2f})" if p.meets_goal else "none found")
    return "\n".join([
        f"Durations log-normal, median {median:g} s, sigma {sigma:g}, clipped to {low:g}-{high:g} s; "
        "goal: lag median <= 2 s and p95 <= 5 s.",
        f"- fewest checks per job any elapsed-time schedule needs (lower bound): **{f['lower']:.1f}**",
        f"- cheapest schedule found that meets the goal: {feasible}",
        f"- a blocking 10 s loop: {f['loop']:.1f} requests per job",
    ])


def learned(runs: int = 50, fallback: float = 15.0) -> str:
    """The product's learned schedule for the adaptive benchmark's durations (the steady
    state learns exactly those): its expected checks against its own bound, and replayed
    on the same durations with the activity's own rules (issue 34, point 1)."""
    import statistics

    from bench_adaptive import durations

    from activities.video.poll_schedule import (
        learned_schedule,
        next_check_in,
        wait_before_first_check,
    )

    seconds = durations(runs, 1.0)
    schedule = learned_schedule(seconds)
    plan = schedule.plan(fallback)

    def replay(duration: float) -> int:
        t, checks = wait_before_first_check(schedule, 0.0, fallback) or 0.0, 1
        while t < duration:
            t += max(next_check_in(schedule, t, fallback) or fallback, 1.0)
            checks += 1
        return checks

    replayed = statistics.fmean(replay(d) for d in seconds)
    return (f"Learned from the adaptive benchmark's {runs} durations: the plan expects "
            f"{plan.expected_checks:.2f} checks per job against a bound of {plan.lower_bound:.2f} "
            f"for that (smoothed) spread ({plan.expected_checks / plan.lower_bound - 1:.1%} "
            f"over); replayed on those durations, {replayed:.2f} checks per job.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--median-s", type=float, default=75.0)
    parser.add_argument("--sigma", type=float, default=0.35)
    parser.add_argument("--low", type=float, default=40.0)
    parser.add_argument("--high", type=float, default=180.0)
    parser.add_argument("--learned", action="store_true",
                        help="the learned schedule for bench_adaptive's durations instead")
    a = parser.parse_args()
    print(learned() if a.learned else run(a.median_s, a.sigma, a.low, a.high))
