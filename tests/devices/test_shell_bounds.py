"""Output bounds on the shell (security review): a command that prints without end is stopped at
a byte limit, not held in memory until its deadline; the operator route answers that in the envelope."""

import pytest

from appliance.errors import DeviceCommandFailed
from tests.fixtures import free_port, wait_until
from tests.hubkit import hub_config, running_hub

BIG = "/sdcard/big.txt"
LOUD = f"cat {BIG} {BIG} {BIG} {BIG}"   # 400 kB of output (the simulated sh has no loops)


def put_big_file(client, serial, tmp_path):
    local = tmp_path / "big.txt"
    local.write_bytes(b"0123456789abcdef" * 6400)
    client.push(serial, local, BIG)


def test_loud_output_is_stopped_at_the_limit(sim_farm, make_manager, tmp_path):
    farm = sim_farm(1)
    manager = make_manager()
    serial = farm.phones[0].address
    manager.client.connect(serial)
    wait_until(lambda: manager.tracker.usable(serial), 5)
    put_big_file(manager.client, serial, tmp_path)
    assert len(manager.client.shell(serial, LOUD).output) == 4 * 102400
    with pytest.raises(DeviceCommandFailed, match="more than 20000 bytes"):
        manager.client.shell(serial, LOUD, timeout=30, max_output=20000)
    assert manager.client.shell(serial, "echo still fine").output == "still fine\n"


def test_operator_shell_route_is_bounded(sim_farm, tmp_path, monkeypatch):
    monkeypatch.setattr("appliance.services.devices.SHELL_MAX_OUTPUT", 50000)
    phone = sim_farm(1).phones[0]
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb",
                        shell_api_enabled=True)
    with running_hub(config) as hub:
        assert hub.call("POST", "/device/connect", {"address": phone.address})[1]["code"] == 0
        wait_until(lambda: hub.call("GET", f"/device/{phone.address}")[1]["data"]["usable"], 5)
        put_big_file(hub.services.devices.client, phone.address, tmp_path)
        status, answer = hub.call("POST", f"/device/{phone.address}/shell",
                                  {"command": LOUD, "timeout": 60})
        assert (status, answer["code"]) == (503, 50301), answer
        assert "more than 50000 bytes" in answer["message"]
