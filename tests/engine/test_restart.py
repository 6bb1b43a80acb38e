"""kill -9 of a hub process with tasks running and pending: after restart the running ones are
failed "interrupted by restart", the pending ones run, and nothing runs twice."""

import pytest

from tests.fixtures import ADB_PATH, AdbServer, free_port, long_warmup, short_warmup, wait_for
from tests.hubkit import HubProcess


def _hub_env(adb_port: int) -> dict:
    return {"APPLIANCE_ADB_PORT": str(adb_port), "APPLIANCE_ADB_PATH": ADB_PATH,
            "APPLIANCE_PLAN": "Business", "APPLIANCE_HEALTH_INTERVAL": "60",
            "APPLIANCE_ADB_ENABLED": "true"}


def _connect(adb_port: int, farm) -> None:
    server = AdbServer(adb_port)          # the hub's own server: talk to it, never start one
    for phone in farm.phones:
        wait_for(lambda address=phone.address: "connected to" in server.connect(address), 15,
                 message=f"adb connect {phone.address}")


@pytest.fixture
def hub_process(tmp_path):
    started = []
    adb_port = free_port()

    def start() -> HubProcess:
        hub = HubProcess(tmp_path / "state", env=_hub_env(adb_port)).start()
        started.append(hub)
        return hub

    start.adb_port = adb_port
    yield start
    for hub in started:
        hub.kill()
    try:   # an orphan of a killed hub still holds the port
        AdbServer(adb_port).query("host:kill", timeout=2)
    except (OSError, RuntimeError):
        pass


def _data(hub, method, path, body=None):
    status, envelope = hub.call(method, path, body)
    assert status == 200 and envelope["code"] == 0, envelope
    return envelope["data"]


def _create(hub, serials, config):
    body = {"serials": serials, "script_name": "account_warmup", "script_config": config,
            "min_interval": 0, "max_interval": 0}
    return _data(hub, "POST", "/task", body)["task_ids"]


def test_kill_9_then_restart(hub_process, sim_farm):
    farm = sim_farm(2, seed=5)
    serials = [p.address for p in farm.phones]
    hub = hub_process()
    _connect(hub_process.adb_port, farm)
    running = _create(hub, serials, long_warmup())
    pending = _create(hub, serials, short_warmup()) + _create(hub, serials, short_warmup())
    wait_for(lambda: all(_data(hub, "GET", f"/task/{i}")["status"] == 1 for i in running), 30,
             message="both long tasks running")
    wait_for(lambda: all(p.app_records("launch") for p in farm.phones), 15,
             message="the app launched on both phones")
    hub.kill()                                            # kill -9

    hub = hub_process()
    _connect(hub_process.adb_port, farm)
    for task_id in running:
        task = _data(hub, "GET", f"/task/{task_id}")
        assert (task["status"], task["remark"]) == (3, "interrupted by restart")
    wait_for(lambda: all(_data(hub, "GET", f"/task/{i}")["status"] == 2 for i in pending), 60,
             interval=0.2, message="pending tasks completed after the restart")
    for phone in farm.phones:
        cold_starts = [r for r in phone.app_records("launch") if r.get("cold")]
        assert len(cold_starts) == 3          # 1 interrupted + 2 pending: nothing ran twice
    assert hub.terminate() == 0
