"""When to ask Veo again, from how long this model's recent generations took. Pure.

A fixed interval adds half an interval on average between Veo finishing and Retake
noticing. With the model's recent durations (the submission ledger's submitted and
finished times, activities/video/generation_times.py) the wait instead checks at the
times that notice half the jobs within `fallback * 2 / 15` seconds and 95% within
`fallback / 3` (2 s and 5 s at the default 15 s poll interval: the noticing goals
themselves; storing and saving are measured and budgeted apart, in docs/benchmarks.md,
rather than shrinking these targets) with the fewest expected status requests for
those durations (activities/video/check_times.py), the durations
smoothed so fifty samples stand for the jobs between and just beyond them: no check
while a finish is unlikely, dense checks where jobs usually finish. Past the last
planned check (slower than any recent job), one check every `fallback / 3` seconds
(the p95 lag: such jobs count in the goal too); a first check due sooner than the
server's ~1 s retry spacing is made at once.

With fewer than MIN_SAMPLES durations there is no schedule: today's defaults (a check
right away, then one per poll interval). Every figure scales with the durations and
the fallback, so the same rules hold for 6-second and 6-minute jobs.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from activities.video.check_times import CheckPlan, cheapest_checks

MIN_SAMPLES = 5
MEDIAN_LAG_SHARE, P95_LAG_SHARE = 2 / 15, 1 / 3  # noticing goals, as shares of the fallback
GRID_SHARE = 1 / 30  # check times are planned on a grid of fallback/30 (0.5 s at 15 s)
MAX_GRID_POINTS = 400  # ... of at most this many points (planning is quadratic in them)
EARLY_SLACK_SHARE = 1 / 30  # an attempt this close to a planned check makes it
RETRY_FLOOR_SECONDS = 1.0  # the Temporal server spaces an activity's retries about this far apart
MIN_BANDWIDTH = 0.02  # log-space smoothing of the durations, at least 2%
TAIL_BANDWIDTHS = 2.0  # plan checks up to this many bandwidths past the slowest
# Recent jobs are a sample, and the next job is not one of them: a plan made to notice
# exactly half within 2 s and 95% within 5 s of *those* misses the goals on fresh jobs
# (benchmarks/bench_fresh_jobs.py). So the durations are smoothed by Silverman's whole
# rule, and the plan aims above each goal by what the sample can promise: Z standard
# errors of the sample quantile, sqrt(p(1 - p) / n), which is 60% and 98% at fifty
# samples. Fewer samples get wider margins; more get no narrower ones than fifty's (on
# fresh jobs, 100-200 samples with narrower margins missed the goals in a quarter to a
# third of the benchmark's trials: docs/benchmarks.md).
Z_MEDIAN, Z_P95 = 2**0.5, 1.0
BANDWIDTH_SCALE = 1.0  # Silverman's whole rule
MARGIN_SAMPLES = 50  # margins are never narrower than for this many samples
MAX_PLANNED_SHARE = 0.995  # a few samples cannot promise more than this
PAST_PLAN_SHARE = 1 / 3  # slower than every sample: check at the p95 lag, not the fallback
_erf = np.vectorize(math.erf, otypes=[float])


@dataclass(frozen=True)
class PollSchedule:
    """Recent generation durations of one model, in seconds, sorted."""

    durations: tuple[float, ...]

    def plan(self, fallback: float) -> CheckPlan:
        return _plan(self.durations, round(fallback, 6))


def learned_schedule(durations: Iterable[float]) -> PollSchedule | None:
    """A schedule from recent durations; None (defaults) with fewer than MIN_SAMPLES."""
    usable = sorted(float(d) for d in durations if d is not None and d >= 0)
    if len(usable) < MIN_SAMPLES:
        return None
    return PollSchedule(tuple(usable))


def wait_before_first_check(
    schedule: PollSchedule | None, elapsed: float, fallback: float
) -> float | None:
    """Seconds to wait without asking Veo (a finish this early is unlikely); None: ask now."""
    if schedule is None:
        return None
    times = schedule.plan(fallback).times
    if not times:
        return None
    early = times[0] - elapsed
    # A wait shorter than the server's spacing between retries would last that long anyway.
    return early if early > max(fallback * EARLY_SLACK_SHARE, RETRY_FLOOR_SECONDS) else None


def next_check_in(schedule: PollSchedule | None, elapsed: float, fallback: float) -> float | None:
    """Seconds from now to the next check after Veo said "still running" at `elapsed`
    seconds since submission; None: the retry policy's own interval (no history)."""
    if schedule is None:
        return None
    times = schedule.plan(fallback).times
    k = bisect.bisect_right(times, elapsed + fallback * EARLY_SLACK_SHARE)
    if k == len(times):  # slower than every recent job: such jobs still count in the p95
        return fallback * PAST_PLAN_SHARE
    return times[k] - elapsed


@lru_cache(maxsize=64)
def _plan(durations: tuple[float, ...], fallback: float) -> CheckPlan:
    grid, cdf = smoothed_cdf(durations, fallback * GRID_SHARE)
    median_share, p95_share = planned_shares(len(durations))
    return cheapest_checks(grid, cdf, fallback * MEDIAN_LAG_SHARE, fallback * P95_LAG_SHARE,
                           median_share, p95_share)


def planned_shares(samples: int) -> tuple[float, float]:
    """The shares the plan must notice within each goal, for a schedule learned from
    `samples` durations: each goal's share plus its margin for a sample that size."""
    n = min(samples, MARGIN_SAMPLES)

    def above(share: float, z: float) -> float:
        return min(MAX_PLANNED_SHARE, share + z * math.sqrt(share * (1 - share) / n))
    return above(0.5, Z_MEDIAN), above(0.95, Z_P95)


def smoothed_cdf(durations: tuple[float, ...], step: float) -> tuple[np.ndarray, np.ndarray]:
    """The share of jobs done by each grid time, smoothed: a log-normal kernel around each
    recent duration (Silverman's bandwidth, in log space), so fifty samples plan for the
    jobs between and just beyond them, not only for those fifty. The grid ends where
    (almost) every job is done; the last planned check is there."""
    logs = np.log(np.maximum(np.asarray(durations), step))
    spread = float(np.std(logs)) if len(logs) > 1 else 0.0
    bandwidth = max(MIN_BANDWIDTH, BANDWIDTH_SCALE * 1.06 * spread * len(logs) ** -0.2)
    end = float(np.exp(logs.max() + TAIL_BANDWIDTHS * bandwidth))
    step = max(step, end / MAX_GRID_POINTS)  # long jobs: a coarser grid, same planning cost
    # As many points as steps fit (counted with room for float noise), so a history scaled
    # in time gets the same number of points, and the same plan scaled.
    grid = np.arange(int(math.floor(end / step + 1e-9)) + 2) * step
    z = (np.log(np.maximum(grid, 1e-9))[:, None] - logs[None, :]) / bandwidth
    # Rounded, so a time-scaled history gives the very same shares (the planner's ties then
    # break alike, and a schedule scales exactly with its durations).
    cdf = np.round(np.mean(0.5 * (1.0 + _erf(z / np.sqrt(2.0))), axis=1), 9)
    cdf[-1] = 1.0
    return grid, cdf
