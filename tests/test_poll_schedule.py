"""The adaptive poll schedule (activities/video/poll_schedule.py): pure rules, property-tested."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from activities.video.poll_schedule import (
    MAX_GAP_SHARE,
    MIN_GAP_SHARE,
    MIN_SAMPLES,
    learned_schedule,
    next_check_in,
    quantile,
    wait_before_first_check,
)

durations = st.lists(st.floats(min_value=1.0, max_value=600.0), min_size=MIN_SAMPLES,
                     max_size=60)
fallbacks = st.floats(min_value=1.0, max_value=60.0)


def test_without_enough_history_the_defaults_apply():
    few = learned_schedule([60.0] * (MIN_SAMPLES - 1))
    assert few is None
    assert wait_before_first_check(few, 0.0, 15.0) is None  # a check right away
    assert next_check_in(few, 30.0, 15.0) is None  # the retry policy's interval


def test_first_check_is_near_the_low_end_of_recent_durations():
    schedule = learned_schedule([40.0 + i for i in range(101)])  # 40 .. 140 s
    assert wait_before_first_check(schedule, 0.0, 15.0) == 45.0  # the 5th percentile
    assert wait_before_first_check(schedule, 44.9, 15.0) is None  # close enough: check


def test_checks_tighten_where_jobs_finish_and_relax_past_the_slowest():
    # Most jobs finish around 70 s; a few take up to 170 s.
    schedule = learned_schedule([60.0, 64, 66, 68, 69, 70, 70, 71, 72, 74, 76, 80, 110, 170])
    around_median = next_check_in(schedule, 70.0, 15.0)
    in_the_tail = next_check_in(schedule, 130.0, 15.0)
    assert around_median < in_the_tail <= 15.0 * MAX_GAP_SHARE
    assert next_check_in(schedule, 171.0, 15.0) == 15.0  # steady fallback


@given(durations, fallbacks, st.floats(min_value=0.0, max_value=700.0))
def test_every_gap_is_positive_and_bounded(sample, fallback, elapsed):
    schedule = learned_schedule(sample)
    gap = next_check_in(schedule, elapsed, fallback)
    first = schedule.first_check
    if elapsed < first:
        assert math.isclose(gap, first - elapsed)
    elif elapsed >= schedule.slowest:
        assert gap == fallback
    else:
        assert fallback * MIN_GAP_SHARE - 1e-9 <= gap <= fallback * MAX_GAP_SHARE + 1e-9


@given(durations, fallbacks, st.floats(min_value=0.0, max_value=700.0),
       st.floats(min_value=0.05, max_value=20.0))
def test_the_schedule_scales_with_time(sample, fallback, elapsed, k):
    """Jobs k times longer with a k times longer fallback: k times the gaps (so a
    time-scaled benchmark runs the same schedule)."""
    plain = next_check_in(learned_schedule(sample), elapsed, fallback)
    scaled = next_check_in(learned_schedule([d * k for d in sample]), elapsed * k, fallback * k)
    assert math.isclose(scaled, plain * k, rel_tol=1e-6, abs_tol=1e-6)


@given(durations, st.floats(min_value=0.0, max_value=1.0))
def test_quantiles_stay_within_the_sample(sample, q):
    ordered = tuple(sorted(sample))
    assert ordered[0] <= quantile(ordered, q) <= ordered[-1]


def test_a_job_is_seen_soon_after_it_finishes_without_more_checks_than_a_fixed_loop():
    """Simulated on the schedule alone: jobs like the history are noticed within the
    largest gap, and a typical job needs fewer checks than polling every fallback/3."""
    history = [50.0 + 2 * i for i in range(30)]  # 50 .. 108 s
    schedule = learned_schedule(history)
    for finish in (52.0, 75.0, 99.0):
        t, checks = wait_before_first_check(schedule, 0.0, 15.0) or 0.0, 0
        while True:
            checks += 1
            if t >= finish:
                break
            t += next_check_in(schedule, t, 15.0)
        assert t - finish <= 15.0 * MAX_GAP_SHARE + 1e-9
        assert checks <= math.ceil(finish / 5.0)
