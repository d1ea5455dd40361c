"""The cheapest status-check times that meet a lag goal, for a distribution of durations. Pure.

A job that takes D seconds pays one status request for every check up to the first
check at or after D, and is noticed t - D seconds late. Given the share of jobs done by
each time (a CDF on a grid), `cheapest_checks` finds check times that meet "at least
half the jobs noticed within `median_lag`, 95% within `p95_lag`" with the fewest
expected requests: dynamic programming over the previous check, with Lagrange
multipliers on the two shares (searched on a small grid; the cheapest schedule that
meets both wins). The same search gives a lower bound on the requests of *any*
schedule that knows only the elapsed time (weak duality; benchmarks/polling_bound.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MULTIPLIERS_P95 = (0.0, 2.0, 8.0, 32.0)
MAX_MULTIPLIER, BISECTIONS = 256.0, 9


@dataclass(frozen=True)
class CheckPlan:
    times: tuple[float, ...]  # seconds since submission, ascending; the last sees every job
    expected_checks: float
    share_within_median: float  # of jobs noticed within median_lag
    share_within_p95: float
    lower_bound: float  # no elapsed-time schedule meeting the goal has fewer expected checks

    @property
    def meets_goal(self) -> bool:
        return self.share_within_median >= 0.5 and self.share_within_p95 >= 0.95


def cheapest_checks(grid: np.ndarray, cdf: np.ndarray, median_lag: float,
                    p95_lag: float) -> CheckPlan:
    """`grid`: evenly spaced times from 0; `cdf[k]`: share of jobs done by grid[k] (reaching 1).

    For each multiplier on the p95 share, the smallest multiplier on the median share
    whose schedule notices half the jobs in time is found by bisection (the share
    grows with its multiplier); the cheapest schedule meeting both goals wins.
    """
    step = float(grid[1] - grid[0])
    w2, w5 = max(1, round(median_lag / step)), max(1, round(p95_lag / step))
    best: CheckPlan | None = None
    lower = 0.0

    def attempt(lam2: float, lam5: float) -> CheckPlan:
        nonlocal best, lower
        value, choice = _solve(cdf, lam2, lam5, w2, w5)
        lower = max(lower, value + 0.5 * lam2 + 0.95 * lam5)
        plan = _evaluate(grid, cdf, choice, w2, w5)
        if best is None or _better(plan, best):
            best = plan
        return plan

    for lam5 in MULTIPLIERS_P95:
        low, high = 0.0, MAX_MULTIPLIER
        if attempt(low, lam5).share_within_median >= 0.5:
            continue
        if attempt(high, lam5).share_within_median < 0.5:
            continue
        for _ in range(BISECTIONS):
            middle = (low + high) / 2
            if attempt(middle, lam5).share_within_median >= 0.5:
                high = middle
            else:
                low = middle
    return CheckPlan(best.times, best.expected_checks, best.share_within_median,
                     best.share_within_p95, lower_bound=max(lower, 1.0))


def _better(plan: CheckPlan, than: CheckPlan) -> bool:
    """Meeting the goal first; then fewer checks (or, both missing it, the nearer)."""
    if plan.meets_goal != than.meets_goal:
        return plan.meets_goal
    if plan.meets_goal:
        return plan.expected_checks < than.expected_checks
    return (min(plan.share_within_median / 0.5, plan.share_within_p95 / 0.95)
            > min(than.share_within_median / 0.5, than.share_within_p95 / 0.95))


def _solve(cdf: np.ndarray, lam2: float, lam5: float, w2: int, w5: int):
    """min over schedules of E[checks] - lam2 * share(lag within median) - lam5 * share(p95)."""
    n = len(cdf)
    survive = 1.0 - cdf
    value = np.zeros(n)
    choice = np.full(n, -1)
    last = int(np.argmax(cdf >= 1.0 - 1e-12))  # a check here or later sees every job
    for i in range(min(last, n - 1) - 1, -1, -1):
        j = np.arange(i + 1, n)
        c2 = cdf[j] - cdf[np.maximum(i, j - w2)]
        c5 = cdf[j] - cdf[np.maximum(i, j - w5)]
        total = survive[i] - lam2 * c2 - lam5 * c5 + value[j]
        k = int(np.argmin(total))
        value[i], choice[i] = total[k], j[k]
    return value[0], choice


def _evaluate(grid, cdf, choice, w2: int, w5: int) -> CheckPlan:
    checks = within2 = within5 = 0.0
    times = []
    i = 0
    while choice[i] >= 0:
        j = int(choice[i])
        checks += 1.0 - cdf[i]
        within2 += cdf[j] - cdf[max(i, j - w2)]
        within5 += cdf[j] - cdf[max(i, j - w5)]
        times.append(float(grid[j]))
        i = j
    return CheckPlan(tuple(times), checks, within2, within5, lower_bound=0.0)
