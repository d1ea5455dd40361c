"""Fixtures shared by the suite live in tests/support/, one plugin per real part."""

from __future__ import annotations

# Hypothesis imports its optimiser lazily, in the middle of a test, and pytest parses it
# then to rewrite its asserts. Python 3.11's parser can fail when threads are running
# ("SystemError: AST constructor recursion depth mismatch": CPython gh-106905,
# pytest-dev/pytest#10763; seen here once in test_check_times after Temporal tests had
# left threads behind): imported here, before any thread starts, it is parsed safely.
import hypothesis.internal.conjecture.optimiser  # noqa: F401
import pytest

from retake.process import exit_without_teardown

pytest_plugins = [
    "tests.support.postgres",  # a real Postgres (pgserver, or TEST_DATABASE_URL)
    "tests.support.emulators",  # the Vertex Veo emulator on 127.0.0.1
    "tests.support.openai_fixtures",  # the OpenAI emulator on 127.0.0.1
    "tests.support.temporal",  # the temporal CLI dev server
]

_exit_status: list[int] = []
_RELIABILITY = "reliability"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_RELIABILITY}: crash, outage and fault runs (tests/reliability/); "
        'the fast suite is `pytest -m "not reliability"`',
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/reliability/ carries the reliability marker."""
    for item in items:
        if "reliability" in item.path.parts:
            item.add_marker(_RELIABILITY)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without interpreter teardown once the summary is printed (retake/process.py)."""
    if _exit_status:
        exit_without_teardown(_exit_status[-1])
