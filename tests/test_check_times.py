"""The check-time planner (activities/video/check_times.py) against exhaustive search.

On grids small enough to try every set of check times: the lower bound never exceeds
the true optimum, and the plan found meets the lag goal whenever any schedule can, at
no fewer checks than the optimum (it cannot beat it: a wrong cost would show here).
"""

from __future__ import annotations

import itertools

import numpy as np
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
