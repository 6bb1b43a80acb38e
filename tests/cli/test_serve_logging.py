"""`appliance serve` as an operator sees it: where it listens, its log lines (text, JSON, under
systemd's journal), and SIGHUP re-reading the config file. Real processes on free ports."""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.logs import JsonFormatter
from tests.hubkit import ROOT, call

SERVING = re.compile(r"serving http://127\.0\.0\.1:(\d+)/api/v1/")


class Serve:
    """`python -m appliance serve --no-adb --port 0` with its stderr read line by line."""

    def __init__(self, tmp_path: Path, *args: str, env: dict | None = None, stderr=None):
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("APPLIANCE_", "JOURNAL_"))}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", *args, "serve", "--no-adb", "--port", "0",
             "--state-dir", str(tmp_path / "state")],
            env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=subprocess.DEVNULL, stderr=stderr or subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        self.port = 0

    def read_from(self, stream) -> Serve:
        def pump() -> None:
            for line in stream:
                self._queue.put(line.rstrip("\n"))
            self._queue.put(None)

        threading.Thread(target=pump, daemon=True).start()
        self.port = int(SERVING.search(self.wait_line(SERVING.pattern)).group(1))
        return self

    def start(self) -> Serve:
        return self.read_from(self.proc.stderr)

    def wait_line(self, pattern: str, timeout: float = 60) -> str:
        """The next line matching `pattern` (earlier lines are kept in self.lines)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n"
                                     + "\n".join(self.lines)) from None
            if line is None:
                raise AssertionError(f"serve ended before {pattern!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if re.search(pattern, line):
                return line

    def get(self, path: str) -> int:
        return call(f"http://127.0.0.1:{self.port}", "GET", path)[0]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self.wait_line("stopped")
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def serve(tmp_path):
    started: list[Serve] = []

    def start(*args: str, **kw) -> Serve:
        started.append(Serve(tmp_path, *args, **kw))
        return started[-1]

    yield start
    for hub in started:
        hub.kill()


@pytest.mark.phones   # starts a hub process
def test_serve_says_where_it_listens_once_without_a_traceback(serve, tmp_path):
    hub = serve().start()
    line = hub.lines[-1]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO appliance: serving http://", line)
    assert f"state in {tmp_path / 'state'}" in line
    assert hub.get("/healthz") == 200   # the port it names is the real one
    assert hub.stop() == 0
    text = "\n".join(hub.lines)
    assert "Traceback" not in text and "Logging error" not in text
    assert len([x for x in hub.lines if "serving http://" in x]) == 1


@pytest.mark.phones   # starts a hub process
def test_json_format_writes_one_object_per_line(serve):
    hub = serve(env={"APPLIANCE_LOG_FORMAT": "json", "APPLIANCE_ACCESS_LOG": "true"}).start()
    assert hub.get("/api/v1/task/stats?status=1") == 200
    access = json.loads(hub.wait_line(r'"logger": "appliance\.access"'))
    assert access["level"] == "INFO" and "GET /api/v1/task/stats?status 200 code=0" in access["message"]
    assert hub.stop() == 0
    for line in hub.lines:
        entry = json.loads(line)
        assert {"ts", "level", "logger", "message"} <= set(entry), line
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$", entry["ts"])


@pytest.mark.phones   # starts a hub process
def test_access_log_is_off_by_default(serve):
    hub = serve().start()
    assert hub.get("/healthz?probe") == 200
    assert hub.stop() == 0
    assert not any("appliance.access" in line for line in hub.lines), hub.lines


def test_json_lines_carry_the_exception_text():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("appliance.x", logging.ERROR, __file__, 1, "failed %s", ("it",),
                                   sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed it" and "ValueError: boom" in entry["exc"]


@pytest.mark.phones   # starts a hub process
def test_under_journald_lines_carry_a_priority_and_no_timestamp(serve):
    read, write = os.pipe()
    stat = os.fstat(write)
    hub = serve(env={"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"}, stderr=write)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as stream:
        hub.read_from(stream)
        assert hub.lines[-1].startswith("<6>INFO appliance: serving http://127.0.0.1:")
        assert hub.stop() == 0
    assert not any(re.search(r"\d\d:\d\d:\d\d", line) for line in hub.lines), hub.lines


@pytest.mark.phones   # starts a hub process
def test_sighup_applies_log_settings_live_and_survives_a_bad_file(serve, tmp_path):
    config = tmp_path / "appliance.toml"
    config.write_text('log_level = "info"\naccess_log = true\n')
    hub = serve("--config", str(config)).start()
    assert hub.get("/healthz?first") == 200
    hub.wait_line(r"appliance\.access: 127\.0\.0\.1 GET /healthz\?first 200")

    config.write_text('log_level = "warning"\naccess_log = true\nthreads = 3\n')
    hub.proc.send_signal(signal.SIGHUP)
    hub.wait_line(r"WARNING appliance: changed settings threads take effect at the next restart")
    assert hub.get("/healthz?second") == 200   # at warning: no access line

    config.write_text('log_level = \n')
    hub.proc.send_signal(signal.SIGHUP)
    hub.wait_line(r"ERROR appliance: config not reloaded, the running settings stay: "
                  r"Config file .* is not valid TOML")
    assert not any("second" in line for line in hub.lines), hub.lines
    assert hub.get("/healthz") == 200

    config.write_text('log_level = "debug"\naccess_log = true\n')
    hub.proc.send_signal(signal.SIGHUP)
    hub.wait_line(r"INFO appliance: config reloaded: log_level = debug")
    assert hub.get("/healthz?third") == 200
    hub.wait_line(r"GET /healthz\?third 200")
    assert hub.stop() == 0
    assert not any("Traceback" in line for line in hub.lines)


def test_under_journald_every_line_of_a_traceback_keeps_its_priority():
    from appliance.logs import TEXT, JournalFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("appliance.x", logging.ERROR, __file__, 1, "failed", (),
                                   sys.exc_info())
    lines = JournalFormatter(TEXT).format(record).splitlines()
    assert len(lines) > 2 and all(line.startswith("<3>") for line in lines), lines
