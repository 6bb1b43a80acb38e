"""A task for a phone the hub has never seen says so, on the real hub: POST /task names the serial
in `unknown_serials`, the pending task's remark tells what to do, and once the phone is plugged in
the task starts (the remark goes). A phone seen once stays known after a restart, even when away."""

from tests.fixtures import free_port, wait_until
from tests.hubkit import hub_config, running_hub

WARMUP = {"task_duration": 0.6, "min_duration": 0.1, "max_duration": 0.2, "like_probable": 0,
          "floow_probable": 0, "collect_probable": 0, "comment_probable": 0}


def create(h, serials) -> dict:
    status, answer = h.call("POST", "/task", {"serials": serials, "script_name": "account_warmup",
                                              "script_config": WARMUP, "min_interval": 0,
                                              "max_interval": 0})
    assert status == 200 and answer["code"] == 0, answer
    return answer["data"]


def task(h, task_id) -> dict:
    return h.call("GET", f"/task/{task_id}")[1]["data"]


def test_a_never_seen_phone_is_named_and_its_task_waits_saying_so(tmp_path, sim_farm):
    known, newcomer = sim_farm(2).phones
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb",
                        plan="Business")
    with running_hub(config) as h:
        assert h.call("POST", "/device/connect", {"address": known.address})[1]["code"] == 0
        wait_until(lambda: h.services.devices.tracker.usable(known.address), 15)

        data = create(h, [known.address, newcomer.address, "NEVER-SEEN-1"])
        assert data["unknown_serials"] == [newcomer.address, "NEVER-SEEN-1"]
        ran, waiting, typo = data["task_ids"]
        for task_id, serial in ((waiting, newcomer.address), (typo, "NEVER-SEEN-1")):
            remark = task(h, task_id)["remark"]
            assert f"never seen phone {serial}" in remark and "appliance devices" in remark
        wait_until(lambda: task(h, ran)["status"] in (2, 3), 30)
        assert "never seen" not in task(h, ran)["remark"]

        assert h.call("POST", "/device/connect", {"address": newcomer.address})[1]["code"] == 0
        wait_until(lambda: task(h, waiting)["status"] in (2, 3), 30)
        assert "never seen" not in task(h, waiting)["remark"]
        assert task(h, typo)["status"] == 0 and "never seen" in task(h, typo)["remark"]
        assert create(h, [newcomer.address])["unknown_serials"] == []

    newcomer.set_fault("unplug")                  # away when the hub starts again
    with running_hub(config) as h:
        data = create(h, [newcomer.address, "NEVER-SEEN-2"])
        assert data["unknown_serials"] == ["NEVER-SEEN-2"]
        assert task(h, data["task_ids"][0])["remark"] == ""
