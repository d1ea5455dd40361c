"""The environment a test gives a child process: the machine's basics, none of the caller's settings.

A developer's shell may hold GOOGLE_API_KEY, OPENAI_API_KEY, DATABASE_URL or TEMPORAL_*;
a child that inherited them would test their machine, not the code. Only what a
process needs to run at all passes through; the test adds what it means to set.
"""

from __future__ import annotations

import os

_PASSED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


def scrubbed_env(**settings: str) -> dict[str, str]:
    """PATH and friends from this process, plus exactly `settings`."""
    env = {k: os.environ[k] for k in _PASSED if k in os.environ}
    env.update(settings)
    return env
