"""`appliance serve` under a stand-in for systemd's Type=notify: READY only once the API answers.

A real AF_UNIX datagram socket plays systemd; the hub runs as `python -m appliance` and, when
built, as the onefile binary (whose Python child, not the bootloader, sends: NotifyAccess=all).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.hubkit import call

pytestmark = pytest.mark.phones   # `appliance serve` processes

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "dist" / "appliance"
COMMANDS = {
    "python": [sys.executable, "-m", "appliance"],
    "binary": [str(BINARY)],
}


class FakeSystemd:
    def __init__(self, path: Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(60)

    def next(self) -> str:
        return self.sock.recv(4096).decode()

    def until(self, prefix: str) -> str:
        while True:
            message = self.next()
            if message.startswith(prefix):
                return message


def start(kind: str, tmp_path: Path, notify: FakeSystemd, **env: str):
    if kind == "binary" and not BINARY.exists():
        pytest.skip("dist/appliance not built (make binary)")
    proc = subprocess.Popen(
        [*COMMANDS[kind], "serve", "--host", "127.0.0.1", "--port", "0", "--no-adb",
         "--state-dir", str(tmp_path / "state")],
        env={**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": notify.path, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port: dict = {}
    seen = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            match = re.search(r"serving http://[^:]+:(\d+)/", line)
            if match:
                port["value"] = match.group(1)
                seen.set()
        seen.set()

    threading.Thread(target=read, daemon=True).start()
    return proc, port, seen


@pytest.mark.parametrize("kind", ["python", "binary"])
def test_ready_is_sent_once_the_api_answers_and_sigterm_exits_0(kind, tmp_path):
    notify = FakeSystemd(tmp_path / "notify.sock")
    proc, port, seen = start(kind, tmp_path, notify)
    try:
        assert notify.until("READY=1").split("\n")[0] == "READY=1"
        # At READY the API must already answer: ask at once, no retry.
        assert seen.wait(30) and "value" in port
        status, health = call(f"http://127.0.0.1:{port['value']}", "GET", "/healthz", timeout=5)
        assert status == 200 and health["status"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_watchdog_pings_while_serving_and_stopping_is_announced(tmp_path):
    notify = FakeSystemd(tmp_path / "notify.sock")
    notify.sock.settimeout(3)
    proc, _port, _seen = start("python", tmp_path, notify, WATCHDOG_USEC="400000")
    try:
        notify.until("READY=1")
        assert notify.until("WATCHDOG=1") == "WATCHDOG=1"
        assert notify.until("WATCHDOG=1") == "WATCHDOG=1"
        proc.send_signal(signal.SIGTERM)
        assert notify.until("STOPPING=1") == "STOPPING=1"
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
