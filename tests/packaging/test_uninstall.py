"""`make uninstall` into a DESTDIR: it takes away what `make install` placed, keeps the
operator's config and data (saying so) unless PURGE=1, and leaves the machine's services alone."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLACED = ["usr/local/bin/appliance", "etc/systemd/system/appliance.service",
          "etc/udev/rules.d/51-android.rules"]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def make(tmp_path):
    """`make TARGET DESTDIR=<tmp>/root ...`, with systemctl, udevadm and userdel on PATH only
    as recorders: with a DESTDIR nothing may touch the machine."""
    tools = tmp_path / "tools"
    tools.mkdir()
    calls = tmp_path / "calls"
    for tool in ("systemctl", "udevadm", "userdel", "useradd", "groupadd", "usermod"):
        (tools / tool).write_text(f"#!/bin/sh\necho {tool} \"$@\" >> {calls}\n")
        (tools / tool).chmod(0o755)
    # A stand-in binary: this test checks placement, not the build (see test_binary.py).
    fake_binary = tmp_path / "appliance-binary"
    fake_binary.write_text("#!/bin/sh\necho appliance\n")
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}

    def run(target: str, *extra: str) -> subprocess.CompletedProcess:
        done = subprocess.run(["make", "-s", "-o", str(fake_binary), target, f"BIN={fake_binary}",
                               f"DESTDIR={tmp_path / 'root'}", *extra],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not calls.exists(), f"touched the machine: {calls.read_text()}"
        return done

    run.root = tmp_path / "root"
    return run


def test_uninstall_removes_the_installed_files_and_keeps_config_and_data(make):
    root = make.root
    make("install")
    assert all((root / path).is_file() for path in PLACED)
    config = root / "etc/appliance/appliance.toml"
    config.write_text('plan = "Team"\n')
    store = root / "var/lib/appliance/store.snap"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"the operator's tasks")

    done = make("uninstall")
    assert not any((root / path).exists() for path in PLACED)
    for path in PLACED:
        assert f"removed {root / path}" in done.stdout
    assert config.read_text() == 'plan = "Team"\n' and store.read_bytes() == b"the operator's tasks"
    assert f"kept {config} (your config or data; 'sudo make uninstall PURGE=1'" in done.stdout
    assert f"kept {store.parent} (" in done.stdout

    again = make("uninstall")   # nothing left to remove: it says only what it keeps
    assert "removed" not in again.stdout and "kept" in again.stdout

    purged = make("uninstall", "PURGE=1")
    assert not config.parent.exists() and not store.parent.exists()
    assert f"purged {config.parent}" in purged.stdout and f"purged {store.parent}" in purged.stdout
    assert "kept" not in purged.stdout
