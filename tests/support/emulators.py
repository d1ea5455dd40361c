"""Pytest plugin: the Vertex Veo emulator on 127.0.0.1, one per test session.

`veo_emulator` is the running `VeoEmulator` (.base_url, .api_key, .access_token,
.configure(**), .push_fault(...), .reset(), .counters(), .submissions(),
.asset_url()). `fresh_veo_emulator` is the same emulator, reset before the test, for
tests that count requests or change its settings; `quick_veo` is it reset with 0.3 s generations.
`hooked_veo` is one of the test's own with hooks on submissions (hold, lose the answer,
run something first).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.hooked_veo import HookedVeo
from tests.emulators.veo_emulator import VeoEmulator


@pytest.fixture(scope="session")
def veo_emulator() -> Iterator[VeoEmulator]:
    emulator = VeoEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def fresh_veo_emulator(veo_emulator: VeoEmulator) -> VeoEmulator:
    veo_emulator.reset()
    return veo_emulator


@pytest.fixture
def quick_veo(veo_emulator: VeoEmulator) -> VeoEmulator:
    """The emulator reset, with generations that take 0.3 s."""
    veo_emulator.reset()
    veo_emulator.configure(job_seconds=0.3)
    return veo_emulator


@pytest.fixture
def instant_veo(veo_emulator: VeoEmulator) -> VeoEmulator:
    """The emulator reset, with generations done at their first check: for tests about
    what happens around the wait, not in it (a pending check costs a whole retry
    interval, about a second on the dev server, whatever the poll interval)."""
    veo_emulator.reset()
    veo_emulator.configure(job_seconds=0.0)
    return veo_emulator


@pytest.fixture
def hooked_veo() -> Iterator[HookedVeo]:
    """A Veo emulator of the test's own with submission hooks (tests/emulators/hooked_veo.py)."""
    emulator = HookedVeo().start()
    try:
        yield emulator
    finally:
        emulator.stop()
