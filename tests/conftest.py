"""Fixtures shared by the suite live in tests/support/, one plugin per real part."""

import pytest

pytest_plugins = [
    "tests.support.postgres",  # a real Postgres (pgserver, or TEST_DATABASE_URL)
    "tests.support.emulators",  # the Vertex Veo emulator on 127.0.0.1
    "tests.support.openai_fixtures",  # the OpenAI emulator on 127.0.0.1
    "tests.support.temporal",  # the temporal CLI dev server
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Nothing to do yet; kept so plugins can be listed in one place."""
