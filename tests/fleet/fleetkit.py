"""A fleet on one machine for tests and benches: N hubs with simulated phones and one gateway.

`FleetKit(broker, root, hubs=3, phones=3)` starts, each on free ports: one SimFarm per hub (in
this process), N `appliance serve` child processes with fleet settings (their own adb server,
phones connected through POST /device/connect) and one `appliance gateway` child process.
`kit.hub(n)` / `kit.gateway` speak HTTP (`.call(method, path, body, headers=)`); `kit.kill_hub(n)`
SIGKILLs a hub, `kit.start_hub(n)` brings it back with the same state. Every wait has a deadline;
`close()` (or the context manager) ends everything it started, by pid.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from appliance.devices.ports import free_port
from tests.fixtures import wait_for
from tests.hubkit import call

ROOT = Path(__file__).resolve().parent.parent.parent
FAST_PHONE = {"dump_seconds": (0.0, 0.01), "upload_seconds": (0.5, 1.0), "switch_seconds": 0.0}


class Process:
    """`python -m appliance <command>` with a config file; the URL read from its log line."""

    def __init__(self, name: str, config: Path, args: list[str], ready: str, log: Path):
        self.name, self.config, self.args, self.ready, self.log_path = name, config, args, ready, log
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.lines: list[str] = []

    def start(self, timeout: float = 90) -> Process:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")},
               "PYTHONPATH": str(ROOT), "APPLIANCE_CONFIG": str(self.config)}
        self.proc = subprocess.Popen([sys.executable, "-m", "appliance", *self.args], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        found = threading.Event()
        stream = self.proc.stderr
        assert stream is not None

        def read() -> None:
            with open(self.log_path, "a") as log:
                for line in stream:
                    log.write(line)
                    log.flush()
                    self.lines.append(line)
                    match = re.search(self.ready + r" http://[^ ]+?:(\d+)/api/v1/", line)
                    if match and not found.is_set():
                        self.url = f"http://127.0.0.1:{match.group(1)}"
                        found.set()

        threading.Thread(target=read, name=f"log-{self.name}", daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"{self.name} did not start:\n" + "".join(self.lines[-40:]))
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return call(self.url, method, path, body, **kw)

    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return self.call(method, "/api/v1" + path, body, **kw)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


def toml(settings: dict[str, Any]) -> str:
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())


class FleetKit:
    """See the module docstring. Settings are short so faults show within seconds."""

    def __init__(self, broker: Any, root: Path, hubs: int = 3, phones: int = 3,
                 plan: str = "Business", keepalive: int = 2, heartbeat: float = 0.5,
                 stale_after: float = 3.0, request_timeout: float = 5.0,
                 hub_settings: dict[str, Any] | None = None,
                 gateway_settings: dict[str, Any] | None = None):
        self.broker, self.root, self.count, self.phones = broker, Path(root), hubs, phones
        self.fleet = {"fleet_broker": broker.url, "fleet_keepalive": keepalive,
                      "fleet_heartbeat": heartbeat, "fleet_stale_after": stale_after,
                      "fleet_request_timeout": request_timeout}
        self.plan = plan
        self.hub_settings = hub_settings or {}
        self.gateway_settings = gateway_settings or {}
        self.farms: dict[int, Any] = {}
        self.hubs: dict[int, Process] = {}
        self.serials: dict[int, list[str]] = {}
        self.gateway: Process | None = None
        self.adb_ports: dict[int, int] = {}
        self.api_ports: dict[int, int] = {}

    # --- start --------------------------------------------------------------------------------

    def start(self) -> FleetKit:
        try:
            for n in range(1, self.count + 1):
                self.start_hub(n)
                self.connect_phones(n)
            self.start_gateway()
            self.wait_fleet_up()
        except BaseException:
            self.close()
            raise
        return self

    def hub_config(self, n: int) -> Path:
        folder = self.root / f"hub-{n}"
        folder.mkdir(parents=True, exist_ok=True)
        port = self.adb_ports.setdefault(n, free_port())
        settings = {"state_dir": str(folder / "state"), "adb_enabled": True, "adb_port": port,
                    "plan": self.plan, "log_level": "info", **self.fleet, "fleet_hub": n,
                    "fleet_password": self.broker.password(f"hub-{n}"), **self.hub_settings}
        path = folder / "appliance.toml"
        path.write_text(toml(settings))
        return path

    def start_hub(self, n: int) -> Process:
        from appliance.sim import SimFarm

        if n not in self.farms:
            farm = SimFarm(count=self.phones, seed=n, phone_settings=dict(FAST_PHONE))
            farm.start()
            self.farms[n] = farm
        folder = self.root / f"hub-{n}"
        # A fixed port (kept across restarts): the hub publishes its API address to the fleet.
        port = self.api_ports.setdefault(n, free_port())
        hub = Process(f"hub-{n}", self.hub_config(n),
                      ["serve", "--host", "127.0.0.1", "--port", str(port)], "serving",
                      folder / "hub.log")
        self.hubs[n] = hub
        return hub.start()

    def connect_phones(self, n: int, timeout: float = 60) -> list[str]:
        hub = self.hubs[n]
        serials = []
        for address in self.farms[n].addresses():
            _status, answer = hub.api("POST", "/device/connect", {"address": address})
            assert answer["code"] == 0, answer
            serials.append(answer["data"]["serial"])

        def all_usable() -> bool:
            _, answer = hub.api("GET", "/device")
            states = {d["serial"]: d["state"] for d in answer["data"]["devices"]}
            return all(states.get(s) == "device" for s in serials)

        wait_for(all_usable, timeout, message=f"hub {n}'s phones online")
        self.serials[n] = serials
        return serials

    def start_gateway(self) -> Process:
        folder = self.root / "gateway"
        folder.mkdir(parents=True, exist_ok=True)
        settings = {"state_dir": str(folder / "state"), "plan": self.plan, "log_level": "info",
                    **self.fleet, "fleet_password": self.broker.password("gateway"),
                    **self.gateway_settings}
        path = folder / "appliance.toml"
        path.write_text(toml(settings))
        self.gateway = Process("gateway", path, ["gateway", "--host", "127.0.0.1", "--port", "0"],
                               "gateway serving", folder / "gateway.log")
        return self.gateway.start()

    # --- views --------------------------------------------------------------------------------

    def hub(self, n: int) -> Process:
        return self.hubs[n]

    def gw(self, method: str, path: str, body: Any = None, **kw: Any) -> dict[str, Any]:
        """The gateway's answer envelope (any HTTP status)."""
        assert self.gateway is not None
        _, answer = self.gateway.api(method, path, body, **kw)
        assert isinstance(answer, dict), answer
        return answer

    def fleet_state(self) -> dict[int, dict[str, Any]]:
        answer = self.gw("GET", "/fleet")
        return {h["hub"]: h for h in answer["data"]["hubs"]}

    def wait_fleet_up(self, hubs: list[int] | None = None, timeout: float = 60) -> None:
        """Until the gateway sees each hub UP with all its phones listed."""
        wanted = hubs or sorted(self.hubs)

        def up() -> bool:
            state = self.fleet_state()
            return all(n in state and state[n]["up"] and state[n]["phones"] >= len(
                self.serials.get(n, [])) for n in wanted)

        wait_for(up, timeout, message=f"hubs {wanted} up at the gateway")

    def wait_hub_down(self, n: int, timeout: float = 30) -> None:
        wait_for(lambda: not self.fleet_state().get(n, {}).get("up", False), timeout,
                 message=f"hub {n} down at the gateway")

    def kill_hub(self, n: int) -> None:
        self.hubs[n].kill()

    def stop_hub(self, n: int, sig: int = signal.SIGSTOP) -> None:
        self.hubs[n].signal(sig)

    def logs(self) -> str:
        parts = []
        for name, proc in [*((f"hub-{n}", h) for n, h in self.hubs.items()),
                           ("gateway", self.gateway)]:
            if proc is not None:
                parts.append(f"--- {name} ---\n" + "".join(proc.lines[-30:]))
        return "\n".join(parts)

    # --- end ----------------------------------------------------------------------------------

    def close(self) -> None:
        procs = [p for p in [self.gateway, *self.hubs.values()] if p is not None]
        for proc in procs:
            if proc.alive:
                proc.signal(signal.SIGCONT)
                proc.signal(signal.SIGTERM)
        for proc in procs:
            if proc.proc is not None:
                try:
                    proc.proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        for farm in self.farms.values():
            farm.stop()
        self.farms.clear()

    def __enter__(self) -> FleetKit:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
