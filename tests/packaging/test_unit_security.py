"""The systemd unit is locked down (`systemd-analyze security` exposure at most 3.0) and the
phones are still reachable through it: USB device nodes, loopback adb, LAN and netlink."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "appliance.service"
MAX_EXPOSURE = 3.0


def settings() -> list[tuple[str, str]]:
    """(key, value) per line of the unit, in order (systemd keys may repeat)."""
    out = []
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            out.append((key.strip(), value.strip()))
    return out


def values(key: str) -> list[str]:
    return [value for k, value in settings() if k == key]


def test_systemd_rates_the_unit_at_most_3():
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(UNIT)],
                          capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout)
    if found is None:
        pytest.skip(f"systemd-analyze cannot rate a unit offline here: {done.stderr.strip()}")
    exposure = float(found.group(1))
    exposed = [line for line in done.stdout.splitlines() if line.startswith("✗")]
    assert exposure <= MAX_EXPOSURE, f"exposure {exposure}:\n" + "\n".join(exposed)


def test_the_phones_stay_reachable():
    assert "char-usb_device rw" in values("DeviceAllow")         # /dev/bus/usb, read and write
    assert values("DevicePolicy") == ["closed"]
    assert values("SupplementaryGroups") == ["plugdev"]          # the group of those nodes
    families = " ".join(values("RestrictAddressFamilies")).split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"} <= set(families)
    assert not any(f.startswith("~") for f in families)
    # Each of these would cut the phones off: hidden /dev, unmapped plugdev, no LAN.
    for key in ("PrivateDevices", "PrivateUsers", "PrivateNetwork"):
        assert values(key) in ([], ["no"]), key
    assert values("IPAddressDeny") == []
    # adb forks its server and the hub runs adb: the filter keeps fork and exec.
    assert "@system-service" in values("SystemCallFilter")
    assert all("@process" not in v for v in values("SystemCallFilter"))


def test_reload_sends_sighup_to_the_hub():
    assert values("ExecReload") == ["/bin/kill -HUP $MAINPID"]
