"""The check-time planner (activities/video/check_times.py) against exhaustive search.

On grids small enough to try every set of check times: the lower bound never exceeds
the true optimum, and the plan found meets the lag goal whenever any schedule can, at
no fewer checks than the optimum (it cannot beat it: a wrong cost would show here).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.video.check_times import cheapest_checks

N = 11  # grid points 0..10 s, step 1 s


def exhaustive(cdf: np.ndarray, w2: int, w5: int) -> float | None:
    """Fewest expected checks over every schedule meeting the goal (None: none does)."""
    last = int(np.argmax(cdf >= 1.0))
    best = None
    for r in range(1, N):
        for times in itertools.combinations(range(1, N), r):
            if times[-1] < last:
                continue
            checks = within2 = within5 = 0.0
            prev = 0
            for t in times:
                checks += 1.0 - cdf[prev]
                within2 += cdf[t] - cdf[max(prev, t - w2)]
                within5 += cdf[t] - cdf[max(prev, t - w5)]
                prev = t
                if cdf[t] >= 1.0:
                    break
            if within2 >= 0.5 - 1e-12 and within5 >= 0.95 - 1e-12:
                best = checks if best is None else min(best, checks)
    return best


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=N - 1, max_size=N - 1))
def test_bound_and_plan_against_every_schedule(weights):
    mass = np.array([0.0, *weights])
    if mass.sum() == 0:
        mass[-1] = 1.0
    cdf = np.cumsum(mass) / mass.sum()
    cdf[-1] = 1.0
    plan = cheapest_checks(np.arange(N, dtype=float), cdf, median_lag=1.0, p95_lag=3.0)
    optimum = exhaustive(cdf, 1, 3)
    assert optimum is not None  # checking at every point notices every job at once
    assert plan.lower_bound <= optimum + 1e-9
    assert plan.meets_goal
    assert plan.expected_checks >= optimum - 1e-9


def test_jobs_that_all_take_the_same_time_need_one_check():
    grid = np.arange(0.0, 62.0, 0.5)
    cdf = (grid >= 60.0).astype(float)
    plan = cheapest_checks(grid, cdf, median_lag=1.5, p95_lag=4.5)
    assert plan.times == (60.0,) and plan.expected_checks == 1.0


# --- against an independent optimum: the linear programme, solved by HiGHS -----------


def lognormal_cdf(grid: np.ndarray, median: float, sigma: float, low: float, high: float):
    from math import erf, log, sqrt

    cdf = np.array([0.5 * (1 + erf(log(max(t, 1e-9) / median) / sigma / sqrt(2))) for t in grid])
    cdf[grid < low] = 0.0
    cdf[grid >= high] = 1.0
    return cdf


def lp_optimum(cdf: np.ndarray, w2: int, w5: int) -> float:
    """The schedule problem as a flow on check-to-check edges with the two lag shares as side
    constraints, relaxed to a linear programme (its optimum equals the best dual bound)."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    n = len(cdf)
    last = int(np.argmax(cdf >= 1.0 - 1e-12))
    edges = [(i, j) for i in range(last) for j in range(i + 1, n)]
    cost = np.array([1.0 - cdf[i] for i, _ in edges])
    c2 = np.array([cdf[j] - cdf[max(i, j - w2)] for i, j in edges])
    c5 = np.array([cdf[j] - cdf[max(i, j - w5)] for i, j in edges])
    rows, cols, vals = [], [], []
    for k, (i, j) in enumerate(edges):  # flow out of i minus flow into j
        rows += [i, j]
        cols += [k, k]
        vals += [1.0, -1.0]
    balance = coo_matrix((vals, (rows, cols)), shape=(n, len(edges))).tocsr()
    supply = np.zeros(n)
    supply[0] = 1.0  # one unit leaves the start; nodes at or past `last` may keep it
    free_end = np.arange(n) >= last
    keep = ~free_end
    result = linprog(
        cost,
        A_ub=np.vstack([-c2, -c5]), b_ub=[-0.5, -0.95],
        A_eq=balance[keep], b_eq=supply[keep],
        bounds=(0, None), method="highs",
    )
    assert result.status == 0, result.message
    return float(result.fun)


@pytest.mark.parametrize("median,sigma", [(75.0, 0.35), (90.0, 0.25), (60.0, 0.5)])
def test_the_bound_is_within_one_percent_of_the_lp_optimum(median, sigma):
    grid = np.arange(0.0, 181.0, 1.0)
    cdf = lognormal_cdf(grid, median, sigma, 40.0, 180.0)
    plan = cheapest_checks(grid, cdf, 2.0, 5.0)
    optimum = lp_optimum(cdf, 2, 5)
    assert optimum * 0.99 <= plan.lower_bound <= optimum + 1e-6, (plan.lower_bound, optimum)
    assert plan.meets_goal and plan.expected_checks >= optimum - 1e-6


def test_a_learned_schedule_is_within_fifteen_percent_of_its_bound():
    from activities.video.poll_schedule import learned_schedule

    rng = np.random.default_rng(7)
    durations = np.clip(rng.lognormal(np.log(75.0), 0.35, 50), 40.0, 180.0)
    plan = learned_schedule(durations).plan(15.0)
    assert plan.meets_goal
    assert plan.expected_checks <= 1.15 * plan.lower_bound, (plan.expected_checks, plan.lower_bound)
