"""Factories for the devices tests: a free port and a DeviceManager that owns a real adb server.

Every adb server here is started by the code under test on a free port (never 5037) and stopped
at teardown by the same code (host:kill, then its own pid).
"""


import pytest

from appliance.config import load_config
from tests.conftest import free_port, wait_for


def wait_until(predicate, timeout: float, interval: float = 0.02):
    """Poll `predicate` until it returns a truthy value; fail the test after `timeout` s."""
    return wait_for(predicate, timeout, interval, message="the device condition")


class MemoryMeta:
    def __init__(self):
        self.values = {}

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value


class MemoryStore:
    def __init__(self):
        self.meta = MemoryMeta()


def devices_config(tmp_path, **overrides):
    values = dict(state_dir=str(tmp_path / "state"), adb_port=free_port(), adb_path="/usr/bin/adb",
                  adb_timeout=10.0, health_interval=30.0)
    values.update(overrides)
    return load_config(path=None, env={}, overrides=values)


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
