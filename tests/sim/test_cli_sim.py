"""`appliance sim` in the foreground: prints adb connect lines, phones answer, SIGTERM stops it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

from click.testing import CliRunner

from appliance.cli import main
from tests.fixtures import connect_phones


class Listed:
    def __init__(self, address):
        self.address = address


def test_sim_command_runs_phones_until_sigterm(adb_server):
    process = subprocess.Popen([sys.executable, "-m", "appliance", "sim", "--phones", "2", "--seed", "3",
                                "--adb-port", str(adb_server.port), "--duration", "60"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    addresses: list[str] = []
    try:
        lines = [process.stdout.readline() for _ in range(2)]
        addresses = [re.match(rf"adb -P {adb_server.port} connect (\S+)\s+# (SIM\d+) ", line).group(1)
                     for line in lines]
        connect_phones(adb_server, [Listed(a) for a in addresses])
        result = adb_server.run("-s", addresses[1], "shell", "getprop ro.serialno")
        assert result.stdout == "SIM0002\n"
        adb_server.run("-s", addresses[0], "shell", "monkey -p com.zhiliaoapp.musically 1")
        # The app's records are printed as JSON lines, tagged with the phone's serial.
        assert process.stdout.readline().startswith("SIM0001 {")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for address in addresses:
            adb_server.disconnect(address)


def test_sim_refuses_the_ports_adb_probes():
    result = CliRunner().invoke(main, ["sim", "--phones", "3", "--base-port", "5554"])
    assert result.exit_code == 2 and "5555" in result.output


def test_sim_phone_options_reach_the_phones(monkeypatch):
    import appliance.sim
    from tests.sim.fake_ui import fake_factory

    farms = []

    class Farm(appliance.sim.SimFarm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, ui_factory=fake_factory, **kwargs)
            farms.append(self)

    monkeypatch.setattr(appliance.sim, "SimFarm", Farm)
    result = CliRunner().invoke(main, ["sim", "--phones", "4", "--duration", "0", "--no-records",
                                       "--app-build", "1,2", "--app-build", "3", "--locale", "fr",
                                       "--dump-seconds", "0.5,1.5", "--idle-fail-rate", "0.2",
                                       "--upload-seconds", "2"])
    assert result.exit_code == 0, result.output
    phones = farms[0].phones
    assert [p.ui.app_build for p in phones] == [1, 2, 3, 1] and {p.ui.locale for p in phones} == {"fr"}
    assert phones[0].dump_seconds == (0.5, 1.5) and phones[0].idle_fail_rate == 0.2
    assert phones[0].ui.settings["upload_seconds"] == (2.0, 2.0)
    assert "app build 2, fr)" in result.output.splitlines()[1]
    bad = CliRunner().invoke(main, ["sim", "--dump-seconds", "x", "--duration", "0"])
    assert bad.exit_code == 2 and "LO or LO,HI" in bad.output
