"""The Veo emulator with hooks on submissions, for tests that count money.

`HookedVeo` behaves like `VeoEmulator`, plus, per submission (first queued, first used):
- `before_submit`: a function run (in a thread) before the request is handled, e.g.
  to stop Postgres while Veo is accepting the job;
- `hold_before`: seconds to wait before handling, so two attempts overlap;
- `hold_until`: a `threading.Event` the request waits for before handling (at most
  HOLD_LIMIT seconds), so a test holds the POST until something has happened elsewhere;
- `submits_arrived`: POSTs that reached it, counted before any hook runs;
- `submit_times`: (arrived, answered) wall-clock times of each POST, to place events;
- `lose_answer_after`: seconds to wait AFTER Veo accepted (and counted) the job before
  answering: a client timeout shorter than this loses the answer of a paid request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.emulators.threaded_app import ThreadedApp
from tests.emulators.veo_emulator import VeoEmulator, build_app

HOLD_LIMIT = 60.0  # a `hold_until` event never set does not hang the test


class HookedVeo(VeoEmulator):
    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.before_submit: deque[Callable[[], None]] = deque()
        self.hold_before: deque[float] = deque()
        self.hold_until: deque[threading.Event] = deque()
        self.lose_answer_after: deque[float] = deque()
        self.submits_arrived = 0  # POSTs received, before any hook: "the request is in flight"
        self.submit_times: list[tuple[float, float]] = []  # (arrived, answered), wall clock
        app = build_app(self.state)
        app.middlewares.append(self._middleware)
        self._server = ThreadedApp(app, "127.0.0.1", 0)

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        if not request.path.endswith(":predictLongRunning"):
            return await handler(request)
        self.submits_arrived += 1
        arrived = time.time()
        if self.before_submit:
            await asyncio.to_thread(self.before_submit.popleft())
        if self.hold_before:
            await asyncio.sleep(self.hold_before.popleft())
        if self.hold_until:
            await asyncio.to_thread(self.hold_until.popleft().wait, HOLD_LIMIT)
        response = await handler(request)
        if self.lose_answer_after:
            await asyncio.sleep(self.lose_answer_after.popleft())
        self.submit_times.append((arrived, time.time()))
        return response
