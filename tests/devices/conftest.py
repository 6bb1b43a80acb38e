"""Factories for the devices tests: a DeviceManager that owns a real adb server.

Every adb server here is started by the code under test on a free port (never 5037) and stopped
at teardown by the same code (host:kill, then its own pid).
"""
from __future__ import annotations

import pytest

from tests.fixtures import MemoryStore, devices_config


@pytest.fixture
def make_manager(tmp_path):
    """make_manager(**config overrides) -> a started DeviceManager; stopped at teardown."""
    from appliance.devices.manager import DeviceManager

    started = []

    def make(store=None, **overrides):
        manager = DeviceManager(devices_config(tmp_path, **overrides), store or MemoryStore())
        manager.start()
        started.append(manager)
        return manager

    yield make
    for manager in started:
        manager.stop()
