"""The /device routes on the real hub (waitress, real adb server, simulated phones)."""

import pytest

from tests.hubkit import hub_config, running_hub

from .conftest import free_port, wait_until
from .pngcheck import decode_png


@pytest.fixture
def hub(tmp_path):
    def start(**settings):
        config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(),
                            adb_path="/usr/bin/adb", **settings)
        return running_hub(config)
    return start


def test_device_routes_end_to_end(hub, sim_farm):
    farm = sim_farm(2)
    phone = farm.phones[0]
    with hub(shell_api_enabled=True) as h:
        status, answer = h.call("POST", "/device/connect", {"address": phone.address})
        assert status == 200 and answer["code"] == 0 and answer["data"]["serial"] == phone.address, answer
        wait_until(lambda: h.call("GET", f"/device/{phone.address}")[1]["data"]["usable"], 5)

        status, answer = h.call("GET", "/device?state=device")
        assert [d["serial"] for d in answer["data"]["devices"]] == [phone.address]
        assert h.call("GET", "/device?state=absent")[1]["data"]["total"] == 0

        status, png = h.call("GET", f"/device/{phone.address}/screenshot")
        assert status == 200 and decode_png(png)[0] > 0

        status, answer = h.call("POST", f"/device/{phone.address}/shell",
                                {"command": "echo hello; false"})
        assert answer["data"]["output"] == "hello\n" and answer["data"]["status"] == 1

        status, answer = h.call("POST", f"/device/{phone.address}/reboot")
        assert answer["code"] == 0
        wait_until(lambda: not h.call("GET", f"/device/{phone.address}")[1]["data"]["usable"], 5)
        wait_until(lambda: h.call("GET", f"/device/{phone.address}")[1]["data"]["usable"], 15)

        status, answer = h.call("POST", f"/device/{phone.address}/disconnect")
        assert answer["code"] == 0
        wait_until(lambda: h.call("GET", f"/device/{phone.address}")[1]["data"]["state"]
                   == "absent", 5)


def test_device_route_errors_keep_the_envelope(hub, sim_farm):
    farm = sim_farm(1)
    with hub() as h:
        status, answer = h.call("GET", "/device/NOPE")
        assert (status, answer["code"]) == (404, 40401)
        status, answer = h.call("GET", "/device/NOPE/screenshot")
        assert (status, answer["code"]) == (404, 40401)
        status, answer = h.call("GET", "/device?state=sideways")
        assert (status, answer["code"]) == (400, 40001)
        for address in ("1.2.3.4", "1.2.3.4:0", "1.2.3.4:99999", "a b:5555", "x;reboot:5555",
                        "1.2.3.4:5555;rm", "-oProxy:1", "[::1]:5555"):
            status, answer = h.call("POST", "/device/connect", {"address": address})
            assert (status, answer["code"]) == (400, 40001), address
        status, answer = h.call("POST", "/device/connect", {})
        assert answer["code"] == 40001
        # nothing listens there: the phone is unreachable, said so
        status, answer = h.call("POST", "/device/connect", {"address": f"127.0.0.1:{free_port()}"})
        assert (status, answer["code"]) == (503, 50301)
        phone = farm.phones[0]
        h.call("POST", "/device/connect", {"address": phone.address})
        status, answer = h.call("POST", f"/device/{phone.address}/shell", {"command": "id"})
        assert (status, answer["code"]) == (403, 40302) and "shell_api_enabled" in answer["message"]


def test_device_routes_are_in_the_openapi_document(hub):
    with hub() as h:
        status, doc = h.call("GET", "/openapi.json")
        paths = doc["data"]["paths"] if "data" in doc else doc["paths"]
        for path in ("/device", "/device/connect", "/device/{serial}", "/device/{serial}/shell",
                     "/device/{serial}/screenshot", "/device/{serial}/reboot",
                     "/device/{serial}/disconnect"):
            assert path in paths
