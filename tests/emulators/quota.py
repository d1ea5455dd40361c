"""A per-minute request quota over a sliding 60 s window (Vertex quotas are per minute)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0


class SlidingWindowQuota:
    def __init__(self, per_minute: int | None, clock: Callable[[], float] = time.monotonic):
        self.per_minute, self.clock = per_minute, clock
        self.stamps: deque[float] = deque()

    def take(self) -> float | None:
        """Count one request; None if allowed, else seconds until a slot frees up."""
        if self.per_minute is None:
            return None
        now = self.clock()
        while self.stamps and now - self.stamps[0] >= WINDOW:
            self.stamps.popleft()
        if len(self.stamps) >= self.per_minute:
            return max(WINDOW - (now - self.stamps[0]), 0.001)
        self.stamps.append(now)
        return None

    @staticmethod
    def delay_seconds(wait: float) -> int:
        return max(1, math.ceil(wait))
