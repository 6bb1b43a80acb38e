"""The gateway's systemd unit: a hardened notify service that runs `appliance gateway`, passes
`systemd-analyze verify` and rates at most 2.0 (it needs no phone, so less than the hub's)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "appliance-gateway.service"


def directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_unit_runs_the_gateway_as_a_hardened_notify_service():
    d = directives()
    assert d["Type"] == ["notify"] and d["Restart"] == ["on-failure"]
    assert d["ExecStart"] == ["/usr/local/bin/appliance gateway"]
    assert "APPLIANCE_CONFIG=/etc/appliance/gateway.toml" in d["Environment"]
    assert d["StateDirectory"] == ["appliance-gateway"]
    for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                       ("PrivateDevices", "yes"), ("CapabilityBoundingSet", "")]:
        assert d[key] == [value], key


def test_unit_verifies_and_rates_low(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    stand_in = tmp_path / "appliance"
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    unit = tmp_path / "appliance-gateway.service"
    unit.write_text(UNIT.read_text().replace("ExecStart=/usr/local/bin/appliance",
                                             f"ExecStart={stand_in}"))
    done = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stdout + done.stderr
    rated = subprocess.run([analyze, "security", "--offline=yes", str(UNIT)],
                           capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for \S+: ([\d.]+)", rated.stdout)
    if found is None:
        pytest.skip(f"systemd-analyze cannot rate a unit offline here: {rated.stderr.strip()}")
    assert float(found.group(1)) <= 2.0, rated.stdout
