"""One simulated phone: its adbd, virtual Android, file system, the app (ui) and its faults, and
its settings (app build, locale, sdk, how long dumps and uploads take).

Faults are switched from any thread (tests, the `sim` CLI); adbd threads read them on every
message or command, so each is a single attribute write.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from appliance.sim.adbd import Adbd
from appliance.sim.android import VirtualAndroid, make_props
from appliance.sim.fs import VirtualFs

FAULTS = ("unplug", "stall", "slow", "unauthorized", "hot", "crash")
ADB_PORT_PROBE_RANGE = range(5555, 5586)  # the adb server probes these: never listen there


def default_ui_factory(rng: random.Random, serial: str, screen: tuple[int, int], accounts, **settings):
    """settings: app_build, locale, sdk, upload_seconds, switch_seconds and any other AndroidUi
    keyword (popup_rate, splash_seconds, publish_sheet_rate, ...)."""
    from appliance.sim.ui import AndroidUi  # the simulated app + screen (written separately)
    return AndroidUi(rng, serial, screen=screen, accounts=accounts, **settings)


class SimPhone:
    """Defaults are a real phone's figures: a dump takes 1-3 s and fails 7 times in 10 while a
    video plays, an upload 20-40 s, an account switch 3 s. Tests pass shorter ones."""

    def __init__(self, serial: str, seed: int = 1, port: int = 0, *, screen: tuple[int, int] = (1080, 2400),
                 accounts: list[str] | None = None, ui_factory: Callable | None = None,
                 reboot_delay: float = 1.0, app_build: int = 1, locale: str = "en", sdk: int | None = None,
                 dump_seconds: float | tuple[float, float] = (1.0, 3.0), idle_fail_rate: float = 0.7,
                 upload_seconds: float | tuple[float, float] = (20.0, 40.0), switch_seconds: float = 3.0,
                 **ui_settings):
        if port in ADB_PORT_PROBE_RANGE:
            raise ValueError(f"port {port} is in 5555-5585, which the adb server probes by itself")
        self.serial = serial
        self.rng = random.Random(f"{seed}/{serial}")
        props = make_props(serial, self.rng, locale=locale, sdk=sdk)  # first: the ui needs the sdk
        self.settings = dict(app_build=app_build, locale=locale, sdk=int(props["ro.build.version.sdk"]),
                             upload_seconds=upload_seconds, switch_seconds=switch_seconds, **ui_settings)
        self.ui = (ui_factory or default_ui_factory)(random.Random(f"{seed}/{serial}/ui"), serial, screen,
                                                     accounts, **self.settings)
        self.fs = VirtualFs()
        self.android = VirtualAndroid(serial, self.rng, self.ui, self.fs, props=props, screen=screen,
                                      on_reboot=self.reboot, dump_seconds=dump_seconds,
                                      idle_fail_rate=idle_fail_rate)
        self.adbd = Adbd(self, port)
        self.reboot_delay = reboot_delay
        self.faults: dict[str, dict] = {}   # active faults and their parameters
        self._reboot_timer: threading.Timer | None = None

    # -- identity
    @property
    def port(self) -> int:
        return self.adbd.port

    @property
    def address(self) -> str:
        return f"{self.adbd.host}:{self.adbd.port}"

    @property
    def props(self) -> dict[str, str]:
        return self.android.props

    @property
    def model(self) -> str:
        return self.props["ro.product.model"]

    @property
    def dump_seconds(self):
        return self.android.dumper.dump_seconds

    @dump_seconds.setter
    def dump_seconds(self, value) -> None:  # a number or (lo, hi); read at every dump
        self.android.dumper.dump_seconds = value

    @property
    def idle_fail_rate(self) -> float:
        return self.android.dumper.idle_fail_rate

    @idle_fail_rate.setter
    def idle_fail_rate(self, value: float) -> None:
        self.android.dumper.idle_fail_rate = value

    @property
    def command_log(self) -> list[str]:
        return self.android.command_log

    def app_records(self, kind: str | None = None) -> list[dict]:
        with self.android.ui_lock:
            return self.ui.records(kind)

    def __repr__(self) -> str:
        return f"<SimPhone {self.serial} {self.address} faults={sorted(self.faults)}>"

    # -- lifecycle
    def start(self) -> None:
        self.adbd.start()

    def stop(self) -> None:
        if self._reboot_timer is not None:
            self._reboot_timer.cancel()
        self.adbd.stop()

    def reboot(self) -> None:
        """Drop off the bus and come back after `reboot_delay` seconds on the same port."""
        self.adbd.unplug()

        def back() -> None:
            if "unplug" not in self.faults:
                self.adbd.plug()

        self._reboot_timer = threading.Timer(self.reboot_delay, back)
        self._reboot_timer.daemon = True
        self._reboot_timer.start()

    # -- faults
    def set_fault(self, name: str, on: bool = True, **params) -> None:
        """unplug, stall, slow(latency=s), unauthorized, hot(temperature=C), crash (one-shot)."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        if name == "crash":
            if on:
                with self.android.ui_lock:
                    self.ui.crash()
            return
        if on:
            self.faults[name] = params
        else:
            self.faults.pop(name, None)
        if name == "unplug":
            self.adbd.unplug() if on else self.adbd.plug()
        elif name == "unauthorized":
            if on:  # revoked: adbd restarts, and the next handshake asks for auth
                self.adbd.drop_transports()
            else:   # "Allow" tapped: the waiting connection is accepted on the spot
                self.adbd.authorize_pending()
        elif name == "hot":
            self.android.hot_temperature = float(params.get("temperature", 52.0)) if on else None

    # -- what adbd asks (adbd.Device)
    def banner(self) -> bytes:
        p = self.props
        # An EMPTY feature list: shell_v2/stat_v2 would switch the server to protocols we do not speak.
        return (f"device::ro.product.name={p['ro.product.name']};ro.product.model={p['ro.product.model']};"
                f"ro.product.device={p['ro.product.device']};features=").encode()

    def prompt(self) -> str:
        return self.props["ro.product.device"]

    def run_shell(self, command: str) -> bytes:
        output, _status = self.android.run(command)
        return output

    def shell_session(self):
        """For interactive `adb shell`: a callable running lines in one shell (cwd, variables)."""
        shell = self.android.new_shell()
        return lambda line: self.android.run(line, shell)[0]

    def command_latency(self) -> float:
        slow = self.faults.get("slow")
        return float(slow.get("latency", 0.5)) if slow is not None else 0.0

    def is_unauthorized(self) -> bool:
        return "unauthorized" in self.faults

    def is_stalled(self) -> bool:
        return "stall" in self.faults
