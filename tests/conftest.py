"""Registers the suite's shared fixtures (tests/fixtures.py) and marks tests that need phones.

A test is marked `phones` when it uses a fixture that starts an adb server, a simulated phone or
a hub process (fixtures.PHONE_FIXTURES); tests that start such things themselves carry the mark
explicitly. `pytest -m "not phones"` runs the rest. Runs at collection, on pytest's main thread.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.fixtures"]


@pytest.hookimpl(tryfirst=True)   # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests.fixtures import PHONE_FIXTURES  # here: the plugin import above rewrites its asserts

    for item in items:
        if PHONE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.phones)


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    """test_schemathesis.py builds its generated tests at collection (~5 s) and is all `phones`:
    a run that leaves `phones` out does not collect it at all."""
    if collection_path.name == "test_schemathesis.py" and \
            "not phones" in (config.getoption("markexpr") or ""):
        return True
    return None
