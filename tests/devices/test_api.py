"""The /device routes on the real hub (waitress, real adb server, simulated phones)."""

import pytest

from tests.fixtures import free_port, wait_until
from tests.hubkit import hub_config, running_hub

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
        _status, doc = h.call("GET", "/openapi.json")
        paths = doc["data"]["paths"] if "data" in doc else doc["paths"]
        for path in ("/device", "/device/connect", "/device/{serial}", "/device/{serial}/shell",
                     "/device/{serial}/screenshot", "/device/{serial}/hierarchy", "/device/{serial}/reboot",
                     "/device/{serial}/disconnect"):
            assert path in paths


def get_raw(url: str):
    """(status, Content-Type, body bytes) of one GET."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def not_idle_for(phone, times: int | None):
    """The phone's uiautomator answers like the real one while a video plays (facts §4.1: exit 0,
    `ERROR: could not get idle state.`, no file) `times` times (None: always), then dumps again.
    Returns the list of dump calls it saw."""
    real = phone.android.commands["uiautomator"]
    calls = []

    def uiautomator(argv, io):
        calls.append(argv)
        if times is None or len(calls) <= times:
            io.out.write("ERROR: could not get idle state.\n")
            return 0
        return real(argv, io)

    phone.android.commands["uiautomator"] = uiautomator
    return calls


def taps(phone) -> list[str]:
    return [line for line in phone.command_log if "input " in line]


def test_hierarchy_answers_the_live_screen_as_xml_without_touching_it(hub, sim_farm):
    import json
    import xml.etree.ElementTree as ET

    farm = sim_farm(1)
    phone = farm.phones[0]
    with hub() as h:
        h.call("POST", "/device/connect", {"address": phone.address})
        wait_until(lambda: h.call("GET", f"/device/{phone.address}")[1]["data"]["usable"], 5)
        url = f"{h.url}/device/{phone.address}/hierarchy"

        status, content_type, body = get_raw(url)
        assert status == 200 and content_type == "application/xml; charset=utf-8"
        root = ET.fromstring(body)
        assert root.tag == "hierarchy" and root.find(".//node") is not None

        # a video plays for two tries, then the screen settles: the third try answers
        calls = not_idle_for(phone, 2)
        status, content_type, body = get_raw(url)
        assert status == 200 and ET.fromstring(body).tag == "hierarchy" and len(calls) == 3

        # it never settles: four tries, then a sentence saying what to do, in the envelope
        calls = not_idle_for(phone, None)
        status, content_type, body = get_raw(url)
        answer = json.loads(body)
        assert (status, answer["code"]) == (503, 50301) and content_type.startswith("application/json")
        assert "never went idle (a video is playing)" in answer["message"]
        assert "pause the video on the phone" in answer["message"]
        assert len(calls) == 4
        assert taps(phone) == []   # read-only: not one tap to pause it

        # any other failure of the tool is said once, with its own line, not retried
        def null_root(argv, io):
            calls.append(argv)
            io.out.write("ERROR: null root node returned by UiTestAutomationBridge.\n")
            return 0

        calls.clear()
        phone.android.commands["uiautomator"] = null_root
        status, answer = h.call("GET", f"/device/{phone.address}/hierarchy")
        assert (status, answer["code"]) == (503, 50301) and len(calls) == 1
        assert "could not dump its screen" in answer["message"]
        assert "null root node" in answer["message"]


def test_hierarchy_errors_keep_the_envelope(hub, sim_farm, tmp_path):
    farm = sim_farm(2)
    unplugged, stalled = farm.phones
    with hub(adb_timeout=1.0) as h:
        status, answer = h.call("GET", "/device/NOPE/hierarchy")
        assert (status, answer["code"]) == (404, 40401)
        for phone in farm.phones:
            h.call("POST", "/device/connect", {"address": phone.address})
        wait_until(lambda: all(h.call("GET", f"/device/{p.address}")[1]["data"]["usable"]
                               for p in farm.phones), 5)

        stalled.set_fault("stall")
        status, answer = h.call("GET", f"/device/{stalled.address}/hierarchy")
        assert (status, answer["code"]) == (504, 50401), answer

        unplugged.set_fault("unplug")
        wait_until(lambda: h.call("GET", f"/device/{unplugged.address}")[1]["data"]["state"]
                   != "device", 5)
        status, answer = h.call("GET", f"/device/{unplugged.address}/hierarchy")
        assert (status, answer["code"]) == (503, 50301), answer
        stalled.set_fault("stall", on=False)

    config = hub_config(tmp_path / "off", adb_enabled=False)
    with running_hub(config) as off:
        status, answer = off.call("GET", "/device/R58M123ABC/hierarchy")
        assert (status, answer["code"]) == (503, 50301) and "adb_enabled" in answer["message"]
