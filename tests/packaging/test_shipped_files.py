"""The files an installation puts in place: systemd unit, default config, udev rule."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from appliance.config import SETTINGS, load_config

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "systemd" / "appliance.service"
CONFIG = ROOT / "config" / "appliance.toml"
UDEV = ROOT / "config" / "51-android.rules"


def unit_directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_unit_is_a_hardened_notify_service_that_can_see_usb():
    d = unit_directives()
    assert d["Type"] == ["notify"]
    assert d["NotifyAccess"] == ["all"]  # onefile: the Python child sends, not the bootloader
    assert d["WatchdogSec"] == ["30"] and d["Restart"] == ["on-failure"]
    assert d["User"] == ["appliance"] and d["SupplementaryGroups"] == ["plugdev"]
    assert d["StateDirectory"] == ["appliance"] and d["ConfigurationDirectory"] == ["appliance"]
    assert "APPLIANCE_CONFIG=/etc/appliance/appliance.toml" in d["Environment"]
    assert "APPLIANCE_STATE_DIR=/var/lib/appliance" in d["Environment"]
    assert d["ExecStart"] == ["/usr/local/bin/appliance serve"]
    for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("PrivateTmp", "yes"), ("DevicePolicy", "closed"),
                       ("DeviceAllow", "char-usb_device rw")]:
        assert d[key] == [value], key
    assert "PrivateDevices" not in d  # it would hide /dev/bus/usb: the phones


def test_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (apt-get install systemd provides it)")
    # verify insists that ExecStart's binary exists: point it at a stand-in, change nothing else.
    stand_in = tmp_path / "appliance"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    unit = tmp_path / "appliance.service"
    unit.write_text(UNIT.read_text().replace("ExecStart=/usr/local/bin/appliance",
                                             f"ExecStart={stand_in}"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    # systemd only warns (exit 0) about unknown values: any output at all is a failure here.
    said = result.stdout + result.stderr
    assert result.returncode == 0 and not said.strip(), said


def test_shipped_config_loads_and_names_every_setting():
    config = load_config(CONFIG, env={})
    assert config.plan == "Pro"  # docs/API.md, Plans: a fresh hub serves the API
    assert str(config.state_dir) == "/var/lib/appliance"
    assert config.adb_port == 5037 and config.port == 50809
    present = set(tomllib.loads(CONFIG.read_text()))
    missing = [s.name for s in SETTINGS if s.name not in present]
    assert not missing, f"config/appliance.toml lacks settings {missing}: add each with its help"


def test_shipped_config_comments_each_setting_with_its_help():
    text = CONFIG.read_text()
    for setting in SETTINGS:
        assert f"# {setting.help}\n" in text, f"{setting.name}: comment it with {setting.help!r}"


def test_udev_rule_gives_android_interfaces_to_plugdev():
    text = UDEV.read_text()
    rules = [line for line in text.splitlines() if line and not line.startswith("#")]
    assigning = [line for line in rules if "GROUP=" in line]
    assert any("ff4201" in line for line in assigning)  # the ADB interface: class ff/42/01
    assert any('ATTR{idVendor}=="18d1"' in line for line in assigning)  # Google
    for line in assigning:
        assert 'GROUP="plugdev"' in line and 'MODE="0660"' in line and 'TAG+="uaccess"' in line, line
    labels = set(re.findall(r'LABEL="([^"]+)"', text))
    assert set(re.findall(r'GOTO="([^"]+)"', text)) <= labels
