"""The suite's shared fixtures and helpers; tests import helpers from here, never from a conftest.

Registered once as a plugin (`pytest_plugins` in tests/conftest.py), so its fixtures reach every
test; helpers (wait_for, AdbServer, PhoneHub, make_task, Cli, ...) are imported by name. Fixtures
run on pytest's main thread; `wait_for` and the helpers are safe from any test thread.

`adb_server` - the session's real adb server on a free port, checked alive before each test and
started again (with a warning naming it) when it has died or stopped answering.
`fresh_adb_server` - the same, one per test (for tests that kill or restart it).
`sim_farm(count=3, **kw)` - a started SimFarm, stopped at teardown; its phones are FAST
(FAST_PHONE: short dumps, uploads and switches; idle_fail_rate stays the real 0.7). A SimFarm
keyword goes to SimFarm, any other (or `phone_settings={...}`) overrides a phone setting.
`connected_phones(phones_or_farm, server=None)` - `adb connect` each, wait until each is `device`.
`phone_hub(count=5, *, app_build=None, locale="en", phone_settings=None, **settings)` -> PhoneHub:
a real hub (API + engine + its own adb server) with simulated phones connected.
PHONE_FIXTURES: the fixtures that start an adb server, a phone, a hub or a broker; tests/conftest.py
marks every test using one `phones`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from appliance.config import load_config
from appliance.devices.ports import free_port
from tests.hubkit import hub_config, running_hub

__all__ = [
    "ADB",
    "ADB_PATH",
    "FAST_PHONE",
    "PHONE_FIXTURES",
    "AdbServer",
    "Cli",
    "MemoryStore",
    "PhoneHub",
    "connect_phones",
    "devices_config",
    "free_port",
    "long_warmup",
    "make_task",
    "make_tasks",
    "ran_in_order",
    "revive_adb_server",
    "short_warmup",
    "wait_for",
    "wait_until",
]

ADB = os.environ.get("ADB", "/usr/bin/adb")
ADB_PATH = "/usr/bin/adb"

# Fixtures that start an adb server, a simulated phone or a hub process (`-m "not phones"` skips).
# live_hub (tests/cli/conftest.py) serves a hub on a port.
PHONE_FIXTURES = frozenset({"_shared_adb_server", "adb_server", "fresh_adb_server", "sim_farm",
                            "connected_phones", "phone_hub", "make_manager", "live_hub",
                            "broker"})   # tests/fleet: a real Mosquitto (and often hubs)

T = TypeVar("T")


# --- waiting ------------------------------------------------------------------------------------

def wait_for(condition: Callable[[], T | None], timeout: float = 10.0, interval: float = 0.02,
             message: str = "condition") -> T:
    """Poll `condition()` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)  # the poll interval, not synchronisation: the deadline decides


def wait_until(predicate: Callable[[], T | None], timeout: float, interval: float = 0.02) -> T:
    """`wait_for` with the devices tests' argument order and message."""
    return wait_for(predicate, timeout, interval, message="the device condition")


# --- a real adb server --------------------------------------------------------------------------

class AdbServer:
    """The real adb server (`adb -P PORT server nodaemon`) as a child process we own by pid."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"adb-{self.port}-", suffix=".log")[1])

    def start(self, timeout: float = 10.0) -> AdbServer:
        with open(self.log_path, "ab") as log:
            process = subprocess.Popen([ADB, "-P", str(self.port), "server", "nodaemon"],
                                       stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        self.process = process

        def answering() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"adb server exited: {self.log_path.read_text(errors='replace')}")
            return self.answers()

        wait_for(answering, timeout, message=f"adb server on port {self.port}")
        return self

    def answers(self, timeout: float = 10.0) -> bool:
        """True when the server answers `host:version` within `timeout` s."""
        try:
            return self.query("host:version", timeout=timeout).isalnum()
        except (OSError, RuntimeError, ValueError):
            return False

    def alive(self, timeout: float = 5.0) -> bool:
        """Its process runs and it answers within `timeout` s."""
        return self.process is not None and self.process.poll() is None and self.answers(timeout)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                subprocess.run([ADB, "-P", str(self.port), "kill-server"], capture_output=True, timeout=10)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def run(self, *args: str, timeout: float = 30, text: bool = True,
            input: str | bytes | None = None) -> subprocess.CompletedProcess[Any]:
        """Run the adb CLI against this server: `run("-s", serial, "shell", "echo hi")`."""
        return subprocess.run([ADB, "-P", str(self.port), *args], capture_output=True, timeout=timeout,
                              text=text, input=input)

    def query(self, service: str, timeout: float = 10.0) -> str:
        """One host service over the smart socket ("host:version", "host:connect:ADDR")."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            request = service.encode()
            sock.sendall(b"%04x" % len(request) + request)
            status = _recv(sock, 4)
            length = int(_recv(sock, 4), 16)
            body = _recv(sock, length).decode(errors="replace")
        if status != b"OKAY":
            raise RuntimeError(f"adb server: {body}")
        return body

    def states(self) -> dict[str, str]:
        """serial -> state, as `adb devices` lists them."""
        listing = self.query("host:devices")
        return dict(line.split("\t", 1) for line in listing.splitlines() if "\t" in line)

    def connect(self, address: str) -> str:
        return self.query(f"host:connect:{address}", timeout=15)

    def disconnect(self, address: str) -> str:
        return self.query(f"host:disconnect:{address}")


def _recv(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise OSError("adb server closed the connection")
        data += chunk
    return data


def connect_phones(server: AdbServer, phones: Iterable[Any], timeout: float = 30.0) -> list[str]:
    """`adb connect` every phone in parallel; wait until each shows as `device`. -> addresses."""
    addresses = [phone.address for phone in phones]
    # At most 8 at once: with 32 parallel host:connect the adb 29 server aborted now and then
    # ("fdevent_epoll.cpp:88] failed to unregister fd -1"); 8 and 16 never did in 20 runs.
    with ThreadPoolExecutor(max_workers=min(8, len(addresses) or 1)) as pool:
        answers = list(pool.map(server.connect, addresses))
    for address, answer in zip(addresses, answers, strict=True):
        assert "connected to" in answer, f"{address}: {answer}"
    wait_for(lambda: all(server.states().get(a) == "device" for a in addresses), timeout,
             message="every phone to be `device`")
    return addresses


def revive_adb_server(server: AdbServer) -> None:
    """Start the shared server again when it has died or stopped answering, and say so."""
    if server.alive():
        return
    process = server.process
    if process is not None and process.poll() is None:
        why = "stopped answering host:version"
        process.kill()
        process.wait(timeout=10)
    else:
        why = f"had died (exit {None if process is None else process.returncode})"
    server.process = None
    try:
        server.start()
    except AssertionError:      # its port was taken meanwhile: a new port (each test reads .port)
        server.port = free_port()
        server.start()
    warnings.warn(f"the shared adb server {why} (log {server.log_path}): started it again on port "
                  f"{server.port}", stacklevel=2)


@pytest.fixture(scope="session")
def _shared_adb_server() -> Iterator[AdbServer]:
    server = AdbServer().start()
    yield server
    server.stop()


@pytest.fixture
def adb_server(_shared_adb_server: AdbServer) -> AdbServer:
    """The session's adb server, checked alive first: adb 29 aborts now and then under load
    (`fdevent_epoll.cpp:88`), and one crash must fail one test, not every later test."""
    revive_adb_server(_shared_adb_server)
    return _shared_adb_server


@pytest.fixture
def fresh_adb_server() -> Iterator[AdbServer]:
    server = AdbServer().start()
    yield server
    server.stop()


# --- simulated phones ---------------------------------------------------------------------------

FAST_PHONE = {"dump_seconds": (0.0, 0.01), "upload_seconds": (0.5, 1.0), "switch_seconds": 0.0}
SIM_FARM_KEYWORDS = {"base_port", "seed", "ui_factory", "reboot_delay", "serial_prefix", "accounts",
                     "app_build", "locale"}


@pytest.fixture
def sim_farm() -> Iterator[Callable[..., Any]]:
    from appliance.sim import SimFarm

    farms: list[SimFarm] = []

    def make(count: int = 3, **kwargs: Any) -> SimFarm:
        settings = {**FAST_PHONE, **(kwargs.pop("phone_settings", None) or {})}
        settings.update({k: kwargs.pop(k) for k in list(kwargs) if k not in SIM_FARM_KEYWORDS})
        farm = SimFarm(count=count, phone_settings=settings, **kwargs)
        farms.append(farm)
        return farm.start()

    yield make
    for farm in farms:
        farm.stop()


@pytest.fixture
def connected_phones(adb_server: AdbServer) -> Iterator[Callable[..., list[str]]]:
    connected: list[str] = []

    def connect(phones: Iterable[Any], server: AdbServer | None = None,
                timeout: float = 30.0) -> list[str]:
        server = server or adb_server
        addresses = connect_phones(server, phones, timeout)
        if server is adb_server:
            connected.extend(addresses)
        return addresses

    yield connect
    # Forget the phones so the shared server does not keep retrying stopped ones.
    for address in connected:
        with contextlib.suppress(OSError, RuntimeError):
            adb_server.disconnect(address)


# --- a real hub with phones ---------------------------------------------------------------------

@dataclass
class PhoneHub:
    """A running hub (`handle`), its SimFarm and the phones' adb serials."""

    handle: Any
    farm: Any
    serials: list[str]

    @property
    def services(self) -> Any:
        return self.handle.services

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, envelope = self.handle.call(method, path, body)
        return status, envelope

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, envelope = self.call(method, path, body)
        assert status == 200 and envelope["code"] == 0, envelope
        return envelope["data"]

    def sim(self, serial: str) -> Any:
        return next(p for p in self.farm.phones if p.address == serial)

    def task(self, task_id: int) -> dict[str, Any]:
        return self.ok("GET", f"/task/{task_id}")

    def private(self, task_id: int) -> dict[str, Any]:
        """The stored document with the engine's private fields (sub-second timestamps)."""
        return self.services.store.tasks.get(task_id)

    def wait_status(self, task_id: int, *statuses: int, timeout: float = 30.0) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            task = self.task(task_id)
            return task if task["status"] in statuses else None

        return wait_for(reached, timeout, interval=0.05, message=f"task {task_id} in {statuses}")

    def create(self, serials: Iterable[str], config: dict[str, Any] | None = None,
               script: str = "account_warmup", **body: Any) -> list[int]:
        body = {"serials": list(serials), "script_name": script,
                "script_config": config or {}, "min_interval": 0, "max_interval": 0, **body}
        return self.ok("POST", "/task", body)["task_ids"]


def short_warmup(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"task_duration": 0.6, "min_duration": 0.1, "max_duration": 0.2,
                                  "like_probable": 100, "floow_probable": 50, "collect_probable": 50,
                                  "comment_probable": 0}
    config.update(overrides)
    return config


def long_warmup() -> dict[str, Any]:
    return {"task_duration": 120, "min_duration": 30, "max_duration": 30, "like_probable": 0,
                "floow_probable": 0, "collect_probable": 0}


def ran_in_order(hub: PhoneHub, ids: list[int]) -> None:
    """Assert the tasks (of one phone, in creation order) ran one at a time in that order."""
    docs = [hub.private(i) for i in ids]
    for before, after in itertools.pairwise(docs):
        assert before["_ended_ts"] <= after["_started_ts"], (before["id"], after["id"])


@pytest.fixture
def phone_hub(tmp_path: Path, sim_farm: Callable[..., Any]) -> Iterator[Callable[..., PhoneHub]]:
    with contextlib.ExitStack() as stack:
        def make(count: int = 5, *, app_build: Any = None, locale: Any = "en",
                 phone_settings: dict[str, Any] | None = None, **settings: Any) -> PhoneHub:
            settings = {"adb_enabled": True, "adb_port": free_port(), "adb_path": ADB_PATH,
                        "plan": "Business", "stop_grace": 3, "health_interval": 60, **settings}
            handle = stack.enter_context(running_hub(hub_config(tmp_path, **settings)))
            farm = sim_farm(count, seed=11, app_build=app_build, locale=locale,
                            phone_settings=phone_settings)
            engine = handle.services.engine
            assert engine is not None, "the engine is not wired (adb disabled?)"
            for phone in farm.phones:
                engine.client.connect(phone.address, timeout=10)
            serials = [p.address for p in farm.phones]
            wait_for(lambda: all(engine.tracker.usable(s) for s in serials), 30,
                     message="every phone usable by the hub")
            return PhoneHub(handle, farm, serials)

        yield make


# --- API, storage, CLI and devices helpers ------------------------------------------------------

def make_tasks(client: Any, count: int = 1, serials: list[str] | None = None, **body: Any) -> list[int]:
    """Create tasks through the API (a falcon TestClient) and return their ids."""
    body = {"serials": serials or [f"SER{i}" for i in range(count)],
            "script_name": "account_warmup", **body}
    result = client.simulate_post("/api/v1/task", json=body)
    assert result.json["code"] == 0, result.json
    return result.json["data"]["task_ids"]


_task_counter = itertools.count(1)


def make_task(**fields: Any) -> dict[str, Any]:
    """A task document as the services create it (without id)."""
    n = next(_task_counter)
    doc: dict[str, Any] = {
        "serial": f"SER{n % 5}",
        "username": None,
        "script_name": "post",
        "script_config": {"captions": [f"hello {n}"], "nested": {"k": n}},
        "status": 0,
        "source": "api",
        "min_interval": 1,
        "max_interval": 5,
        "start_time": None,
        "created_at": "2026-11-28T12:00:00+00:00",
        "started_at": None,
        "finished_at": None,
        "remark": "",
        "retry_count": 0,
        "_attempt": 0,
    }
    doc.update(fields)
    return doc


@dataclass
class Cli:
    """Runs `appliance ...` in-process with APPLIANCE_* env for a given state dir and port."""

    state_dir: Path
    port: int = 1  # nothing listens on port 1: "no hub"
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, **env: str) -> Result:
        from appliance.cli import main

        full = {"APPLIANCE_CONFIG": None, "APPLIANCE_STATE_DIR": str(self.state_dir),
                "APPLIANCE_HOST": "127.0.0.1", "APPLIANCE_PORT": str(self.port), **self.env, **env}
        return CliRunner().invoke(main, list(args), env=full, catch_exceptions=False)


class MemoryMeta:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value


class MemoryStore:
    """The part of the store a DeviceManager uses (its meta table), in memory."""

    def __init__(self) -> None:
        self.meta = MemoryMeta()


def devices_config(tmp_path: Path, **overrides: Any) -> Any:
    values = {"state_dir": str(tmp_path / "state"), "adb_port": free_port(), "adb_path": ADB_PATH,
                  "adb_timeout": 10.0, "health_interval": 30.0}
    values.update(overrides)
    return load_config(path=None, env={}, overrides=values)
