"""The cheapest status-check times that meet a lag goal, for a distribution of durations. Pure.

A job that takes D seconds pays one status request for every check up to the first
check at or after D, and is noticed t - D seconds late. Given the share of jobs done by
each time (a CDF on a grid), `cheapest_checks` finds check times that meet "at least
half the jobs noticed within `median_lag`, 95% within `p95_lag`" with the fewest
expected requests: dynamic programming over the previous check, with Lagrange
multipliers on the two shares, chosen by maximising the (concave) dual; the cheapest
schedule met that meets both goals wins. The dual's maximum is a lower bound on the
requests of *any* schedule that knows only the elapsed time (weak duality; it equals the
linear-programming optimum, which tests/test_check_times.py checks against an LP solver;
benchmarks/polling_bound.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_MULTIPLIER = 256.0  # a share is worth at most this many checks
OUTER_STEPS, INNER_STEPS = 10, 8  # golden-section steps on the p95 and median multipliers
# (16 x 14 finds a plan 2% cheaper on the benchmark's spread at three times the cost)
_GOLDEN = (5 ** 0.5 - 1) / 2
TIE = 1e-9  # values this close are equal


@dataclass(frozen=True)
class CheckPlan:
    times: tuple[float, ...]  # seconds since submission, ascending; the last sees every job
    expected_checks: float
    share_within_median: float  # of jobs noticed within median_lag
    share_within_p95: float
    lower_bound: float  # no elapsed-time schedule meeting the goal has fewer expected checks
    median_share: float = 0.5  # the shares the plan was asked for (a margin may raise them)
    p95_share: float = 0.95

    @property
    def meets_goal(self) -> bool:
        return (self.share_within_median >= self.median_share
                and self.share_within_p95 >= self.p95_share)


def cheapest_checks(grid: np.ndarray, cdf: np.ndarray, median_lag: float,
                    p95_lag: float, median_share: float = 0.5,
                    p95_share: float = 0.95) -> CheckPlan:
    """`grid`: evenly spaced times from 0; `cdf[k]`: share of jobs done by grid[k] (reaching 1).

    The Lagrangian dual g(m, p) = min over schedules of E[checks] - m * share(median)
    - p * share(p95) + 0.5 m + 0.95 p is concave, so it is maximised by golden-section
    search on p, each step maximising over m the same way (the inner maximum is concave
    in p too). Its maximum is the lower bound; every schedule the search meets is a
    candidate, and the cheapest one meeting both goals is the plan.
    """
    step = float(grid[1] - grid[0])
    w2, w5 = max(1, round(median_lag / step)), max(1, round(p95_lag / step))
    best: CheckPlan | None = None
    lower = 0.0
    windows = _windows(cdf, w2, w5)

    def dual(lam2: float, lam5: float) -> float:
        nonlocal best, lower
        value, choice = _solve(cdf, lam2, lam5, windows)
        bound = value + median_share * lam2 + p95_share * lam5
        lower = max(lower, bound)
        plan = _evaluate(grid, cdf, choice, w2, w5, median_share, p95_share)
        if best is None or _better(plan, best):
            best = plan
        return bound

    def best_over_median(lam5: float) -> float:
        return _golden_max(lambda lam2: dual(lam2, lam5), INNER_STEPS)

    _golden_max(best_over_median, OUTER_STEPS)
    return CheckPlan(best.times, best.expected_checks, best.share_within_median,
                     best.share_within_p95, lower_bound=max(lower, 1.0),
                     median_share=median_share, p95_share=p95_share)


def _golden_max(f, steps: int, low: float = 0.0, high: float = MAX_MULTIPLIER) -> float:
    """The largest value of a concave `f` on [low, high] that golden-section search meets
    (the end points included: the maximum may sit at 0, a goal met for free)."""
    seen = max(f(low), f(high))
    a, b = low, high
    c, d = b - _GOLDEN * (b - a), a + _GOLDEN * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(steps):
        seen = max(seen, fc, fd)
        if fc >= fd - TIE:  # float noise must not steer the search (a scaled history)
            b, d, fd = d, c, fc
            c = b - _GOLDEN * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + _GOLDEN * (b - a)
            fd = f(d)
    return max(seen, fc, fd)


def _better(plan: CheckPlan, than: CheckPlan) -> bool:
    """Meeting the goal first; then fewer checks (or, both missing it, the nearer)."""
    if plan.meets_goal != than.meets_goal:
        return plan.meets_goal
    if plan.meets_goal:
        return plan.expected_checks < than.expected_checks - TIE
    def nearness(p: CheckPlan) -> float:
        return min(p.share_within_median / p.median_share, p.share_within_p95 / p.p95_share)

    return nearness(plan) > nearness(than)


def _windows(cdf: np.ndarray, w2: int, w5: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of checks (i, then j), the share of jobs finishing in (i, j] that the check
    at j notices within each lag goal. They do not depend on the multipliers, so the many
    duals of one plan share them (the plan's cost was numpy calls per row; now one each)."""
    n = len(cdf)
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    c2 = cdf[j] - cdf[np.maximum(i, j - w2)]
    c5 = cdf[j] - cdf[np.maximum(i, j - w5)]
    return c2, c5


def _solve(cdf: np.ndarray, lam2: float, lam5: float, windows: tuple[np.ndarray, np.ndarray]):
    """min over schedules of E[checks] - lam2 * share(lag within median) - lam5 * share(p95)."""
    n = len(cdf)
    c2, c5 = windows
    cost = (1.0 - cdf)[:, None] - lam2 * c2 - lam5 * c5  # the check after i is at j
    value = np.zeros(n)
    choice = np.full(n, -1)
    last = int(np.argmax(cdf >= 1.0 - 1e-12))  # a check here or later sees every job
    for i in range(min(last, n - 1) - 1, -1, -1):
        total = cost[i, i + 1:] + value[i + 1:]
        k = int(total.argmin())
        value[i], choice[i] = total[k], i + 1 + k
    return value[0], choice


def _evaluate(grid, cdf, choice, w2: int, w5: int, median_share: float,
              p95_share: float) -> CheckPlan:
    share, nxt = cdf.tolist(), choice.tolist()  # plain floats: the walk is a Python loop
    checks = within2 = within5 = 0.0
    times = []
    i = 0
    while nxt[i] >= 0:
        j = nxt[i]
        checks += 1.0 - share[i]
        within2 += share[j] - share[max(i, j - w2)]
        within5 += share[j] - share[max(i, j - w5)]
        times.append(float(grid[j]))
        i = j
    return CheckPlan(tuple(times), checks, within2, within5, lower_bound=0.0,
                     median_share=median_share, p95_share=p95_share)
