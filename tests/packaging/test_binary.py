"""The frozen binary (`make binary` -> dist/appliance) runs the hub and the admin CLI.

Skipped when dist/appliance has not been built (CI builds it first). Everything the frozen
binary must carry is exercised: jsonschema's meta-schemas (a validated POST), the store, click.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from appliance import __version__
from tests.hubkit import call

BINARY = Path(__file__).resolve().parents[2] / "dist" / "appliance"

pytestmark = pytest.mark.skipif(not BINARY.exists(), reason="dist/appliance not built (make binary)")


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BINARY), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"appliance, version {__version__}"


def test_binary_serves_the_api_and_stops_cleanly(tmp_path):
    state = tmp_path / "state"
    proc = subprocess.Popen([str(BINARY), "serve", "--host", "127.0.0.1", "--port", "0", "--no-adb",
                             "--state-dir", str(state)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    found = threading.Event()
    lines: list[str] = []

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if "serving http://" in line:
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert found.wait(60), "no serving line"
        match = re.search(r"serving http://[^:]+:(\d+)/", "".join(lines))
        assert match, "".join(lines)
        port = match.group(1)
        url = f"http://127.0.0.1:{port}"
        status, health = call(url, "GET", "/healthz")
        assert status == 200 and health["status"] == "ok"
        # The console's nested modules and Swagger UI's files (/docs) travel in the binary.
        for path in ("/", "/static/js/pages/tasks.js", "/static/swagger/swagger-ui-bundle.js"):
            assert call(url, "GET", path)[0] == 200, path
        # jsonschema (and its bundled meta-schemas) work frozen: a bad config is named.
        status, bad = call(url, "POST", "/api/v1/task", {"serials": ["A"], "script_name": "account_warmup",
                                                       "script_config": {"task_duration": -1}})
        assert status == 400 and bad["code"] == 40001
        env = {"APPLIANCE_PORT": port, "APPLIANCE_HOST": "127.0.0.1", "APPLIANCE_STATE_DIR": str(state)}
        created = run("tasks", "create", "--serial", "A", "--script", "account_warmup", "--json", **env)
        assert created.returncode == 0, created.stderr
        assert json.loads(run("status", "--json", **env).stdout)["tasks"]["pending"] == 1
        backup = run("db", "backup", "frozen.snap", **env)
        assert backup.returncode == 0 and "by the running hub" in backup.stdout, backup.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    checked = run("db", "check", APPLIANCE_STATE_DIR=str(state))
    assert checked.returncode == 0 and "no problems found" in checked.stdout


def test_binary_demo_short_run(tmp_path):
    result = subprocess.run([str(BINARY), "demo", "--phones", "2", "--port", "0", "--duration", "1",
                             "--state-dir", str(tmp_path / "demo")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "with 2 simulated phone(s)" in result.stdout and "sample tasks" in result.stdout
