"""`appliance doctor`: each failure it can detect on this machine, each with its fix hint."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from appliance.cli import doctor
from appliance.devices.ports import free_port

RULE = Path(__file__).resolve().parents[2] / "config" / "51-android.rules"


@pytest.fixture
def healthy_box(tmp_path, monkeypatch):
    """A box where every check passes: a udev rule in place, no unit installed, a sane clock."""
    rules = tmp_path / "rules.d"
    rules.mkdir()
    shutil.copy(RULE, rules / "51-android.rules")
    monkeypatch.setattr(doctor, "UDEV_DIRS", [rules])
    monkeypatch.setattr(doctor, "UNIT_PATH", tmp_path / "no-unit.service")
    monkeypatch.setattr(doctor, "now", lambda: datetime(2026, 5, 1, tzinfo=UTC))
    return tmp_path


def findings(cli, **env) -> tuple[int, dict]:
    result = cli("doctor", "--json", **env)
    return result.exit_code, {f["name"]: f for f in json.loads(result.stdout)}


def fake_adb(folder: Path, version: str | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "adb"
    body = f"echo 'Android Debug Bridge version 1.0.41'; echo 'Version {version}'" if version else "exit 1"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script



def env_for_ports() -> dict:
    return {"APPLIANCE_PORT": str(free_port()), "APPLIANCE_ADB_PORT": str(free_port())}


def test_a_healthy_box_passes(cli, healthy_box):
    result = cli("doctor", **env_for_ports())
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.output and "FAIL" not in result.output


def test_missing_adb(cli, healthy_box):
    code, found = findings(cli, APPLIANCE_ADB_PATH="/nonexistent/adb", **env_for_ports())
    assert code == 1 and not found["adb"]["ok"]
    assert "apt-get install adb" in found["adb"]["fix"]


def test_adb_that_does_not_answer(cli, healthy_box):
    broken = fake_adb(healthy_box / "broken", None)
    code, found = findings(cli, APPLIANCE_ADB_PATH=str(broken), **env_for_ports())
    assert code == 1 and "does not answer" in found["adb"]["detail"]


def test_two_adb_versions_on_path(cli, healthy_box):
    new = fake_adb(healthy_box / "sdk" / "platform-tools", "35.0.2-12147458")
    old = fake_adb(healthy_box / "debian", "29.0.6-debian")
    path = f"{new.parent}:{old.parent}:/usr/bin:/bin"
    code, found = findings(cli, PATH=path, APPLIANCE_ADB_PATH=str(old), **env_for_ports())
    assert code == 1 and not found["one adb version"]["ok"]
    assert "35.0.2" in found["one adb version"]["detail"] and "29.0.6" in found["one adb version"]["detail"]
    assert "kill each other's server" in found["one adb version"]["fix"]


def test_missing_udev_rule(cli, healthy_box, monkeypatch):
    monkeypatch.setattr(doctor, "UDEV_DIRS", [healthy_box / "empty"])
    code, found = findings(cli, **env_for_ports())
    assert code == 1 and not found["udev rule"]["ok"]
    assert "51-android.rules" in found["udev rule"]["fix"]


def test_missing_plugdev_group(cli, healthy_box, monkeypatch):
    monkeypatch.setattr(doctor, "GROUP", "no-such-group-x")
    code, found = findings(cli, **env_for_ports())
    assert code == 1 and "groupadd" in found["group no-such-group-x"]["fix"]


def test_current_user_not_in_plugdev(cli, healthy_box, monkeypatch):
    monkeypatch.setattr(doctor.os, "geteuid", lambda: 65534)  # nobody
    code, found = findings(cli, **env_for_ports())
    assert code == 1 and not found["current user"]["ok"]
    assert "usermod -aG plugdev" in found["current user"]["fix"]


def test_service_user_missing_or_outside_plugdev(cli, healthy_box, monkeypatch):
    unit = healthy_box / "appliance.service"
    unit.write_text("[Service]\n")
    monkeypatch.setattr(doctor, "UNIT_PATH", unit)
    monkeypatch.setattr(doctor, "SERVICE_USER", "no-such-user-x")
    code, found = findings(cli, **env_for_ports())
    assert code == 1 and "useradd" in found["service user"]["fix"]
    monkeypatch.setattr(doctor, "SERVICE_USER", "nobody")
    code, found = findings(cli, **env_for_ports())
    assert code == 1 and "usermod -aG plugdev nobody" in found["service user"]["fix"]


def test_api_port_taken_by_another_program(cli, healthy_box):
    # Another program on the port: it answers the doctor's probe with a page that is not a hub's.
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]

        def answer_like_another_server() -> None:
            while True:
                try:
                    conn, _ = other.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hi</html>")

        threading.Thread(target=answer_like_another_server, daemon=True).start()
        code, found = findings(cli, APPLIANCE_PORT=str(port), APPLIANCE_ADB_PORT=str(free_port()))
    assert code == 1 and not found["API port"]["ok"]
    assert f"sport = :{port}" in found["API port"]["fix"]


def test_ports_held_by_the_running_hub_are_fine(live_hub, healthy_box):
    _code, found = findings(live_hub.cli, APPLIANCE_ADB_PORT=str(free_port()))
    assert found["API port"]["ok"] and "running hub" in found["API port"]["detail"]


def test_adb_port_held_by_a_foreign_adb_server(cli, healthy_box, adb_server):
    code, found = findings(cli, APPLIANCE_PORT=str(free_port()), APPLIANCE_ADB_PORT=str(adb_server.port))
    assert code == 1 and not found["adb port"]["ok"]
    assert f"adb -P {adb_server.port} kill-server" in found["adb port"]["fix"]


def test_state_dir_not_writable(cli, healthy_box):
    blocker = healthy_box / "a-file"
    blocker.write_text("")
    code, found = findings(cli, APPLIANCE_STATE_DIR=str(blocker / "state"), **env_for_ports())
    assert code == 1 and not found["state directory"]["ok"]
    assert "install -d" in found["state directory"]["fix"]


def test_clock_before_2024(cli, healthy_box, monkeypatch):
    monkeypatch.setattr(doctor, "now", lambda: datetime(1970, 1, 1, tzinfo=UTC))
    result = cli("doctor", **env_for_ports())
    assert result.exit_code == 1
    assert "FAIL  clock" in result.output and "timedatectl set-ntp true" in result.output
    assert "1 problem(s) found" in result.output


def test_api_host_that_is_not_this_machine(cli, healthy_box):
    code, found = findings(cli, APPLIANCE_HOST="192.0.2.1", APPLIANCE_PORT=str(free_port()),
                           APPLIANCE_ADB_PORT=str(free_port()))
    assert code == 1 and "cannot listen on 192.0.2.1" in found["API port"]["detail"]


def test_phones_missing_the_app_or_the_keyboard_are_warnings_with_what_to_install(
        tmp_path, healthy_box, sim_farm):
    from tests.fixtures import Cli, wait_for
    from tests.hubkit import hub_config, running_hub

    farm = sim_farm(3)
    ready, no_app, no_keyboard = farm.phones
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb")
    with running_hub(config) as hub:
        devices = hub.services.devices
        for phone in farm.phones:
            devices.connect(phone.address)
        wait_for(lambda: all(getattr(devices.tracker.get(p.address), "health", None)
                             for p in farm.phones), 5)
        assert devices.client.shell(no_app.address, "pm uninstall com.zhiliaoapp.musically").ok
        assert devices.client.shell(no_keyboard.address, "pm uninstall com.android.adbkeyboard").ok
        for phone in (no_app, no_keyboard):
            devices.manager.health.check(phone.address)

        cli = Cli(Path(config.state_dir), hub.server.port,
                  env={"APPLIANCE_ADB_PORT": str(config.adb_port), "APPLIANCE_ADB_ENABLED": "true"})
        code, found = findings(cli)
        assert code == 0   # the box is fine; two phones need something installed
        ok = found[f"phone {ready.address}"]
        version = devices.tracker.get(ready.address).health["app"]["version"]
        assert ok["ok"] and not ok["warning"] and version
        assert f"usable: com.zhiliaoapp.musically {version}" in ok["detail"]
        app = found[f"phone {no_app.address}"]
        assert app["warning"] and "TikTok (com.zhiliaoapp.musically) is not installed" in app["detail"]
        assert "Play Store" in app["fix"] and "Preparing a phone" in app["fix"]
        keyboard = found[f"phone {no_keyboard.address}"]
        assert keyboard["warning"] and "ADB keyboard" in keyboard["detail"]
        assert "ime enable com.android.adbkeyboard/.AdbIME" in keyboard["fix"]

        text = cli("doctor")
        assert text.exit_code == 0, text.output
        assert f"warn  phone {no_app.address}" in text.output
        assert f"ok    phone {ready.address}" in text.output
        assert "fix: adb install ADBKeyboard.apk" in text.output
        assert "all checks passed, 2 warning(s)" in text.output


def test_phones_are_not_checked_without_a_hub(cli, healthy_box):
    code, found = findings(cli, **env_for_ports())
    assert code == 0 and found["phones"]["ok"] and "no hub answers" in found["phones"]["detail"]
