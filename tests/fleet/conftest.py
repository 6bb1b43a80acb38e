"""Fixtures of the fleet tests: a real Mosquitto per test (`broker`), skipped only when the
Debian package is missing (CI installs it). `hubs_count` (default 3) sets how many hub users
it creates; override it with `@pytest.mark.parametrize("hubs_count", [N])` or a fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fleet.broker import Broker, mosquitto_path, passwd_path


@pytest.fixture
def hubs_count() -> int:
    return 3


@pytest.fixture
def broker_persistence() -> bool:
    return False


@pytest.fixture
def broker(hubs_count: int, broker_persistence: bool, tmp_path) -> Iterator[Broker]:
    if mosquitto_path() is None or passwd_path() is None:
        pytest.skip("mosquitto is not installed (apt-get install -y mosquitto mosquitto-clients)")
    b = Broker(hubs=hubs_count, persistence=broker_persistence, directory=tmp_path / "mosquitto")
    b.start()
    try:
        yield b
    finally:
        b.close()
