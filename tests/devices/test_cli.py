"""`appliance devices`, `devices connect`, `devices screenshot` against a running hub."""

import json

from click.testing import CliRunner

from appliance.cli import main
from tests.fixtures import free_port, wait_until
from tests.hubkit import hub_config, running_hub

from .pngcheck import decode_png


def test_devices_cli_lists_connects_and_saves_a_screenshot(tmp_path, sim_farm):
    farm = sim_farm(1)
    phone = farm.phones[0]
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb")
    with running_hub(config) as hub:
        env = {"APPLIANCE_HOST": "127.0.0.1", "APPLIANCE_PORT": str(hub.server.port),
               "APPLIANCE_STATE_DIR": str(config.state_dir)}

        def run(*args):
            result = CliRunner().invoke(main, list(args), env=env)
            assert result.exit_code == 0, result.output
            return result.output

        assert "No phones yet" in run("devices")
        assert phone.address in run("devices", "connect", phone.address)
        tracker = hub.services.devices.tracker
        wait_until(lambda: tracker.usable(phone.address) and tracker.get(phone.address).health, 5)
        table = run("devices")
        assert phone.address in table and "device" in table and phone.model in table
        listed = json.loads(run("devices", "--json"))
        assert listed["devices"][0]["serial"] == phone.address

        out = tmp_path / "screen.png"
        run("devices", "screenshot", phone.address, "-o", str(out))
        assert decode_png(out.read_bytes())[0] > 0

        bad = CliRunner().invoke(main, ["devices", "connect", "not-an-address"], env=env)
        assert bad.exit_code != 0 and "host:port" in bad.output


def test_devices_cli_dumps_the_screen_and_says_why_a_phone_gets_no_tasks(tmp_path, sim_farm):
    import xml.etree.ElementTree as ET

    farm = sim_farm(2)
    ready, bare = farm.phones
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb")
    with running_hub(config) as hub:
        env = {"APPLIANCE_HOST": "127.0.0.1", "APPLIANCE_PORT": str(hub.server.port),
               "APPLIANCE_STATE_DIR": str(config.state_dir)}

        def run(*args, code=0):
            result = CliRunner().invoke(main, list(args), env=env)
            assert result.exit_code == code, result.output
            assert "Traceback" not in result.output
            return result.output

        devices = hub.services.devices
        for phone in farm.phones:
            run("devices", "connect", phone.address)
        wait_until(lambda: all(devices.tracker.get(p.address) and devices.tracker.get(p.address).health
                               for p in farm.phones), 5)
        assert devices.client.shell(bare.address, "pm uninstall com.zhiliaoapp.musically").ok
        devices.manager.health.check(bare.address)

        table = run("devices")
        line = next(ln for ln in table.splitlines() if ln.startswith(bare.address))
        assert "NO" in line and "no-app" in line and "missing" in line
        assert f"{bare.address} gets no tasks: TikTok (com.zhiliaoapp.musically) is not installed" in table
        line = next(ln for ln in table.splitlines() if ln.startswith(ready.address))
        version = devices.tracker.get(ready.address).health["app"]["version"]
        assert version and version in line and "yes" in line
        shown = run("devices", "show", bare.address)
        assert "usable:        NO: TikTok (com.zhiliaoapp.musically) is not installed" in shown
        assert "com.zhiliaoapp.musically: NOT INSTALLED" in shown and "adb keyboard:  installed" in shown
        listed = json.loads(run("devices", "--json"))
        reasons = {d["serial"]: d["unusable_reason"] for d in listed["devices"]}
        assert reasons[ready.address] is None and "Play Store" in reasons[bare.address]
        assert json.loads(run("devices", "show", bare.address, "--json"))["usable"] is False

        out = tmp_path / "screen.xml"
        assert "bytes" in run("devices", "dump", ready.address, "-o", str(out))
        assert ET.parse(out).getroot().tag == "hierarchy"
        printed = run("devices", "dump", ready.address, "-o", "-")
        assert printed.startswith("<?xml") and ET.fromstring(printed).tag == "hierarchy"

        missing = tmp_path / "no" / "such" / "folder" / "screen.xml"
        output = run("devices", "dump", ready.address, "-o", str(missing), code=1)
        assert f"the folder {missing.parent} does not exist" in output
        output = run("devices", "dump", "NOPE", "-o", str(out), code=1)
        assert "No device NOPE" in output and "40401" in output
