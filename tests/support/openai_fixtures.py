"""pytest plugin: one OpenAI emulator on 127.0.0.1 for the session.

The fixture yields an `EmulatorControl` (base_url ending in /v1, api_key, reset(),
push_fault(...), script_reply(...), set_fault_rate(...), counters(), last_request()).
It is shared: tests that use it call `reset()` first, or use `openai_emulator_clean`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.emulators.openai_emulator import EmulatorControl, OpenAIEmulator


@pytest.fixture(scope="session")
def openai_emulator() -> Iterator[EmulatorControl]:
    with OpenAIEmulator() as emulator:
        yield emulator.control()


@pytest.fixture
def openai_emulator_clean(openai_emulator: EmulatorControl) -> EmulatorControl:
    """The session emulator with no queued faults, scripted replies or counts."""
    openai_emulator.reset()
    return openai_emulator
