"""Factories that start real hubs for tests: in-process on a free port, or as a child process.

`hub_config(tmp_path, **settings)` builds a Config (adb off unless asked); `running_hub(config)`
serves it on a thread and yields a `HubHandle`; `HubProcess` runs `python -m appliance serve` so
tests can `kill -9` it. `call()` speaks HTTP to either and returns (status, envelope).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.config import load_config

ROOT = Path(__file__).resolve().parent.parent
# falcon's TestClient names the host falconframework.org; a client on the box names the hub
# (the Access gate gives no free pass to a foreign Host: DNS rebinding).
LOCAL_HOST = {"Host": "localhost:50809"}


def hub_config(tmp_path: Path, **settings: Any):
    settings.setdefault("state_dir", str(tmp_path / "state"))
    settings.setdefault("host", "127.0.0.1")
    settings.setdefault("port", 0)
    settings.setdefault("adb_enabled", False)
    return load_config(env={}, overrides=settings)


def call(url: str, method: str, path: str, body: Any = None, token: str | None = None,
         raw: bytes | None = None, timeout: float = 30,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One HTTP request; returns (status, parsed JSON or raw bytes when not JSON)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, payload = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload


@dataclass
class HubHandle:
    url: str
    config: Any
    services: Any
    server: Any

    def call(self, method: str, path: str, body: Any = None, **kw) -> tuple[int, Any]:
        return call(self.url, method, path, body, **kw)


@contextmanager
def running_hub(config):
    """The real hub (build_services + waitress) on a thread; stopped gracefully at exit."""
    from appliance.cli.serve import run_hub

    stop = threading.Event()
    ready: dict[str, Any] = {}
    started = threading.Event()
    errors: list[BaseException] = []

    def on_ready(server, services) -> None:
        ready["server"], ready["services"] = server, services
        started.set()

    def target() -> None:
        try:
            run_hub(config, on_ready=on_ready, stop_event=stop)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=target, name="test-hub", daemon=True)
    thread.start()
    assert started.wait(60), "hub did not start within 60 s"
    if errors:
        raise errors[0]
    server, services = ready["server"], ready["services"]
    try:
        yield HubHandle(f"http://127.0.0.1:{server.port}/api/v1", config, services, server)
    finally:
        stop.set()
        thread.join(60)


class HubProcess:
    """`python -m appliance serve` in a child process (so a test can kill -9 it)."""

    def __init__(self, state_dir: Path, *extra: str, env: dict | None = None):
        self.state_dir = state_dir
        self.extra = extra
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log: list[str] = []     # its stderr lines after "serving ..." (read by _drain)

    def start(self, timeout: float = 60) -> HubProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "serve", "--host", "127.0.0.1", "--port", "0",
             "--state-dir", str(self.state_dir), *self.extra],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        lines = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"serving http://[^:]+:(\d+)/api/v1/", line)
            if match:
                self.url = f"http://127.0.0.1:{match.group(1)}/api/v1"
                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.kill()
        raise AssertionError("hub process did not start:\n" + "".join(lines))

    def _drain(self) -> None:
        for line in self.proc.stderr:
            self.log.append(line)

    def call(self, method: str, path: str, body: Any = None, **kw) -> tuple[int, Any]:
        return call(self.url, method, path, body, **kw)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        self.proc.terminate()
        return self.proc.wait(timeout)


class Scrape:
    """A `/metrics` answer parsed: `.families` (names), `.value(sample, **labels)` (0 if absent)."""

    def __init__(self, text: str):
        from prometheus_client.parser import text_string_to_metric_families

        self.families: set[str] = set()
        self.samples: dict = {}
        for family in text_string_to_metric_families(text):
            self.families.add(family.name)
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, sample: str, **labels: str) -> float:
        return self.samples.get((sample, frozenset(labels.items())), 0.0)
