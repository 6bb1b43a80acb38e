"""`make install` into a DESTDIR: every file lands where the unit and the README say."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_install_places_files_and_keeps_an_edited_config(tmp_path):
    binary = ROOT / "dist" / "appliance"
    if not binary.exists():
        pytest.skip("dist/appliance not built (make binary)")

    def install() -> subprocess.CompletedProcess:
        # -o: treat the binary as up to date; this test checks placement, not the build.
        return subprocess.run(["make", "-s", "-o", "dist/appliance", "install", f"DESTDIR={tmp_path}"],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    result = install()
    assert result.returncode == 0, result.stderr
    placed = {
        "usr/local/bin/appliance": 0o755,
        "etc/systemd/system/appliance.service": 0o644,
        "etc/udev/rules.d/51-android.rules": 0o644,
        "etc/appliance/appliance.toml": 0o644,
    }
    for path, mode in placed.items():
        assert (tmp_path / path).stat().st_mode & 0o777 == mode, path
    config = tmp_path / "etc/appliance/appliance.toml"
    config.write_text('plan = "Team"\n')
    result = install()
    assert result.returncode == 0 and "keeping existing" in result.stdout
    assert config.read_text() == 'plan = "Team"\n'
