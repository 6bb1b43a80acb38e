"""`appliance devices`, `devices connect`, `devices screenshot` against a running hub."""

import json

from click.testing import CliRunner

from appliance.cli import main
from tests.hubkit import hub_config, running_hub

from .conftest import free_port, wait_until
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
