"""A graceful stop of a real hub with phones mid-task: the running task ends failed "interrupted
by shutdown" (issue 5), the queued one stays pending, and no thread the hub started lives on."""

from __future__ import annotations

import threading

from appliance.storage import Store
from tests.fixtures import ADB_PATH, free_port, long_warmup, wait_for
from tests.hubkit import hub_config, running_hub


def test_graceful_stop_mid_task_leaves_nothing_running_and_no_threads(tmp_path, sim_farm):
    farm = sim_farm(1, seed=3)
    serial = farm.phones[0].address
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path=ADB_PATH,
                        plan="Business", stop_grace=3,
                        health_interval=60)
    before = set(threading.enumerate())
    with running_hub(config) as hub:
        engine = hub.services.engine
        engine.client.connect(serial, timeout=10)
        wait_for(lambda: engine.tracker.usable(serial), 30, message="phone usable")
        body = {"serials": [serial], "script_name": "account_warmup",
                "script_config": long_warmup(), "min_interval": 0, "max_interval": 0}
        running, queued = (hub.call("POST", "/task", body)[1]["data"]["task_ids"][0]
                           for _ in range(2))
        wait_for(lambda: hub.call("GET", f"/task/{running}")[1]["data"]["status"] == 1, 30,
                 message="the first task running")
    # the hub is stopped: every thread it started has ended (none here ignored its stop); the
    # adb deadline watchdog is one per process (devices/wire.py) and touches only sockets
    left = [t.name for t in threading.enumerate()
            if t not in before and t.is_alive() and t.name != "adb-deadlines"]
    assert left == []
    store = Store.open(config.state_dir)
    try:
        first, second = store.tasks.get(running), store.tasks.get(queued)
    finally:
        store.close()
    assert (first["status"], first["remark"]) == (3, "interrupted by shutdown")
    assert second["status"] == 0

