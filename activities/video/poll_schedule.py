"""When to ask Veo again, from how long this model's recent generations took. Pure.

A fixed interval adds half an interval on average between Veo finishing and Retake
noticing. With the model's recent durations (the submission ledger's submitted and
finished times, activities/video/generation_times.py) the wait instead:

1. makes its first status check near the low end of those durations (the 5th
   percentile): nothing is asked while a finish is unlikely;
2. then checks at gaps that shrink where the jobs still running are likely to finish
   soon (high hazard) and widen where they are not, each gap weighing one request
   against the lag it saves, kept between fallback/15 and fallback/3;
3. past the slowest recent duration, checks every `fallback` seconds (the workflow's
   poll interval), as without history.

With fewer than MIN_SAMPLES durations there is no schedule: today's defaults (a check
right away, then one per poll interval). Every figure scales with the durations and
the fallback, so the same rules hold for 6-second and 6-minute jobs.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

MIN_SAMPLES = 5
COST = 0.03  # one status request weighs like COST * fallback seconds of lag (tuned by simulation)
LOW_END = 0.05  # the first check: this quantile of recent durations
MIN_GAP_SHARE, MAX_GAP_SHARE = 1 / 15, 1 / 3  # of the fallback interval


@dataclass(frozen=True)
class PollSchedule:
    """Recent generation durations of one model, in seconds, sorted."""

    durations: tuple[float, ...]

    @property
    def first_check(self) -> float:
        return quantile(self.durations, LOW_END)

    @property
    def slowest(self) -> float:
        return self.durations[-1]


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
    early = schedule.first_check - elapsed
    return early if early > fallback * MIN_GAP_SHARE / 2 else None


def next_check_in(schedule: PollSchedule | None, elapsed: float, fallback: float) -> float | None:
    """Seconds from now to the next check after Veo said "still running" at `elapsed`
    seconds since submission; None: the retry policy's own interval (no history)."""
    if schedule is None:
        return None
    if elapsed < schedule.first_check:
        return schedule.first_check - elapsed
    if elapsed >= schedule.slowest:
        return fallback
    # The next gap balances one more request against the lag it saves: about
    # sqrt(COST * fallback / hazard), the hazard being the rate at which the jobs still
    # running at `elapsed` finish (estimated over the next MAX_GAP).
    ahead = fallback / 3
    running = 1.0 - share_finished(schedule.durations, elapsed)
    finishing = share_finished(schedule.durations, elapsed + ahead) - (1.0 - running)
    hazard = finishing / (running * ahead) if running > 0 else 0.0
    gap = (COST * fallback / hazard) ** 0.5 if hazard > 0 else fallback
    return min(max(gap, fallback * MIN_GAP_SHARE), fallback * MAX_GAP_SHARE)


def quantile(ordered: tuple[float, ...], q: float) -> float:
    """Linear interpolation between order statistics (q in 0..1)."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def share_finished(ordered: tuple[float, ...], elapsed: float) -> float:
    """The interpolated share of recent durations at most `elapsed` (inverse of quantile)."""
    if elapsed <= ordered[0]:
        return 0.0
    if elapsed >= ordered[-1]:
        return 1.0
    high = bisect.bisect_right(ordered, elapsed)
    low = high - 1
    span = ordered[high] - ordered[low]
    within = (elapsed - ordered[low]) / span if span else 0.0
    return (low + within) / (len(ordered) - 1)
