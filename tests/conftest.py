"""Shared fixtures: a real adb server on a private port, simulated phone farms, connecting them.

`adb_server` (one per session) - the Debian adb server as its own process on a free port, started
again (with a warning) when it has died; `.port`, `.run(*args)` runs the adb CLI with `-P port`,
`.query(service)` talks to the server socket.
`fresh_adb_server` - the same, one per test (for tests that kill or restart it).
`sim_farm(count=3, **kw)` - a started SimFarm, stopped at teardown; its phones are FAST
(FAST_PHONE: short dumps, uploads and switches; idle_fail_rate stays the real 0.7). A SimFarm
keyword goes to SimFarm, any other (or `phone_settings={...}`) overrides a phone setting.
`connected_phones(phones_or_farm, server=None)` - `adb connect` each, wait until each is `device`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from appliance.devices.ports import free_port

ADB = os.environ.get("ADB", "/usr/bin/adb")



def wait_for(condition, timeout: float = 10.0, interval: float = 0.02, message: str = "condition"):
    """Poll `condition()` until it returns something truthy; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class AdbServer:
    """The real adb server (`adb -P PORT server nodaemon`) as a child process we own by pid."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix=f"adb-{self.port}-", suffix=".log")[1])

    def start(self, timeout: float = 10.0) -> AdbServer:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([ADB, "-P", str(self.port), "server", "nodaemon"],
                                        stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()

        def answering() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"adb server exited: {self.log_path.read_text(errors='replace')}")
            try:
                return self.query("host:version").isalnum()
            except OSError:
                return False

        wait_for(answering, timeout, message=f"adb server on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        subprocess.run([ADB, "-P", str(self.port), "kill-server"], capture_output=True, timeout=10)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    def run(self, *args: str, timeout: float = 30, text: bool = True, input=None) -> subprocess.CompletedProcess:
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


def connect_phones(server: AdbServer, phones, timeout: float = 30.0) -> list[str]:
    """`adb connect` every phone in parallel; wait until each shows as `device`. -> addresses."""
    addresses = [phone.address for phone in phones]
    # At most 8 at once: with 32 parallel host:connect the adb 29 server aborted now and then
    # ("fdevent_epoll.cpp:88] failed to unregister fd -1"); 8 and 16 never did in 20 runs.
    with ThreadPoolExecutor(max_workers=min(8, len(addresses) or 1)) as pool:
        answers = list(pool.map(server.connect, addresses))
    for address, answer in zip(addresses, answers):
        assert "connected to" in answer, f"{address}: {answer}"
    wait_for(lambda: all(server.states().get(a) == "device" for a in addresses), timeout,
             message="every phone to be `device`")
    return addresses


@pytest.fixture(scope="session")
def _shared_adb_server():
    server = AdbServer().start()
    yield server
    server.stop()


@pytest.fixture
def adb_server(_shared_adb_server):
    """The session's adb server, started again on its port when it has died: adb 29 aborts now
    and then under load (`fdevent_epoll.cpp:88`), and one crash must fail one test, not every
    later test that uses the server."""
    server = _shared_adb_server
    if server.process is not None and server.process.poll() is not None:
        warnings.warn(f"the shared adb server on port {server.port} had died (exit "
                      f"{server.process.returncode}; log {server.log_path}): started it again")
        server.process = None
        server.start()
    return server


@pytest.fixture
def fresh_adb_server():
    server = AdbServer().start()
    yield server
    server.stop()


FAST_PHONE = {"dump_seconds": (0.0, 0.01), "upload_seconds": (0.5, 1.0), "switch_seconds": 0.0}
SIM_FARM_KEYWORDS = {"base_port", "seed", "ui_factory", "reboot_delay", "serial_prefix", "accounts",
                     "app_build", "locale"}


@pytest.fixture
def sim_farm():
    from appliance.sim import SimFarm

    farms = []

    def make(count: int = 3, **kwargs) -> SimFarm:
        settings = {**FAST_PHONE, **(kwargs.pop("phone_settings", None) or {})}
        settings.update({k: kwargs.pop(k) for k in list(kwargs) if k not in SIM_FARM_KEYWORDS})
        farm = SimFarm(count=count, phone_settings=settings, **kwargs)
        farms.append(farm)
        return farm.start()

    yield make
    for farm in farms:
        farm.stop()


@pytest.fixture
def connected_phones(adb_server):
    connected: list[str] = []

    def connect(phones, server: AdbServer | None = None, timeout: float = 30.0) -> list[str]:
        server = server or adb_server
        addresses = connect_phones(server, phones, timeout)
        if server is adb_server:
            connected.extend(addresses)
        return addresses

    yield connect
    # Forget the phones so the shared server does not keep retrying stopped ones.
    for address in connected:
        try:
            adb_server.disconnect(address)
        except (OSError, RuntimeError):
            pass
