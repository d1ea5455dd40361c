"""Fixtures shared by the suite live in tests/support/, one plugin per real part."""

from __future__ import annotations

import pytest

from retake.process import exit_without_teardown

pytest_plugins = [
    "tests.support.postgres",  # a real Postgres (pgserver, or TEST_DATABASE_URL)
    "tests.support.emulators",  # the Vertex Veo emulator on 127.0.0.1
    "tests.support.openai_fixtures",  # the OpenAI emulator on 127.0.0.1
    "tests.support.temporal",  # the temporal CLI dev server
]

_exit_status: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without interpreter teardown once the summary is printed (retake/process.py)."""
    if _exit_status:
        exit_without_teardown(_exit_status[-1])
