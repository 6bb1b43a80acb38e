"""The hub's start and stop around the store: recovery without an engine, and a stop that goes on
when one part fails to stop."""

from __future__ import annotations

from datetime import datetime

import pytest

from appliance.domain.tasks import new_task
from appliance.errors import StoreError
from appliance.services import build_services
from appliance.storage import Store
from tests.hubkit import hub_config, running_hub


def _left_running(config) -> int:
    store = Store.open(config.state_dir)
    try:
        doc = new_task(serial="X", script_name="account_warmup", script_config={}, source="api",
                       min_interval=0, max_interval=0, start_time=None,
                       now=datetime.now().astimezone())
        doc.update(status=1, started_at=doc["created_at"], _run="previous")
        return store.tasks.create_many([doc])[0]["id"]
    finally:
        store.close()


def test_tasks_left_running_are_failed_at_start_even_with_adb_off(tmp_path):
    config = hub_config(tmp_path)            # adb off: no engine
    config.state_dir.mkdir(parents=True)
    task_id = _left_running(config)
    with running_hub(config) as hub:
        task = hub.call("GET", f"/task/{task_id}")[1]["data"]
        assert (task["status"], task["remark"]) == (3, "interrupted by restart")
        assert hub.call("POST", f"/task/{task_id}/retry")[1]["data"]["status"] == 0


class _Part:
    def __init__(self, fail=False):
        self.fail, self.stopped = fail, False

    def start(self):
        pass

    def stop(self):
        self.stopped = True
        if self.fail:
            raise RuntimeError("cannot stop")


def test_close_stops_every_part_and_the_store_when_one_part_fails(tmp_path):
    services = build_services(hub_config(tmp_path))
    services.housekeeping, services.devices = _Part(), _Part(fail=True)
    services.engine = _Part()
    services.start()
    services.close()
    assert services.housekeeping.stopped and services.devices.stopped and services.engine.stopped
    with pytest.raises(StoreError):
        services.store.tasks.create_many([new_task(
            serial="X", script_name="s", script_config={}, source="api", min_interval=0,
            max_interval=0, start_time=None, now=datetime.now().astimezone())])


def test_a_hub_that_fails_to_start_frees_its_port_and_threads(tmp_path):
    import socket
    import threading

    from appliance.cli.serve import run_hub
    from appliance.errors import AdbServerDown
    from tests.fixtures import free_port

    port = free_port()
    config = hub_config(tmp_path, port=port, adb_enabled=True, adb_port=free_port(),
                        adb_path=str(tmp_path / "no-such-adb"))
    before = set(threading.enumerate())
    with pytest.raises(AdbServerDown):
        run_hub(config)
    assert [t.name for t in threading.enumerate() if t not in before and t.is_alive()] == []
    with socket.socket() as probe:      # the API port is free for the next attempt
        probe.bind(("127.0.0.1", port))


def test_a_part_that_fails_half_way_through_start_is_still_stopped(tmp_path):
    class HalfStarted(_Part):
        def start(self):
            raise RuntimeError("spawned a child, then gave up waiting for it")

    services = build_services(hub_config(tmp_path))
    services.housekeeping, services.devices = _Part(), HalfStarted()
    with pytest.raises(RuntimeError):
        services.start()
    services.close()
    assert services.devices.stopped and services.housekeeping.stopped
