"""Health of every online phone on an interval: battery, temperature, charging, model, screen,
and whether the TikTok app (`app_package`, with its version) and the ADB keyboard are installed.

The health thread decides which phones are due and hands each check to a small pool, so a stalled
phone costs one pool worker for one deadline and never delays the others. A check that gets no
answer marks the phone "stalled" (no tasks) and it is checked again every few seconds until one
answers; a call of anyone else that times out has the phone checked at once (`check_soon`).
A phone above `hot_temperature` is hot (not usable) until it is back under `cool_temperature`;
a phone without the app or the keyboard is not usable either (see DeviceInfo.unusable_reason).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from appliance.devices.quoting import quote
from appliance.errors import DeviceError, DeviceTimeout
from appliance.loops import BackgroundLoop

if TYPE_CHECKING:
    from appliance.devices.client import DeviceClient
    from appliance.devices.tracker import DeviceTracker

log = logging.getLogger(__name__)

STALL_RECHECK = 5.0   # seconds between the end of an unanswered check and the next one

DEFAULT_APP_PACKAGE = "com.zhiliaoapp.musically"
ADB_KEYBOARD = "com.android.adbkeyboard"
ADB_KEYBOARD_IME = "com.android.adbkeyboard/.AdbIME"
_SECTIONS = ("::props", "::wm", "::app", "::version", "::keyboard")
ONLINE = ("device", "stalled")   # adb lists them as devices: the states this thread checks


def health_command(package: str = DEFAULT_APP_PACKAGE) -> str:
    """One shell call per check. `pm path P` prints `package:/data/app/...` when P is installed
    and nothing (status 1) when it is not; `dumpsys package P` has a `versionName=` line."""
    pkg = quote(package)
    return ("dumpsys battery; echo ::props; getprop ro.product.model; getprop ro.product.brand; "
            "getprop ro.build.version.release; getprop ro.build.version.sdk; echo ::wm; wm size; "
            f"echo ::app; pm path {pkg}; echo ::version; dumpsys package {pkg} | grep versionName; "
            f"echo ::keyboard; pm path {ADB_KEYBOARD}")


HEALTH_COMMAND = health_command()


def _sections(output: str) -> dict[str, list[str]]:
    """The output's lines by marker; "" holds what comes before the first marker (battery)."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in output.splitlines():
        if line.strip() in _SECTIONS:
            current = line.strip()
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def installed(lines: list[str] | None) -> bool | None:
    """`pm path`'s answer: True (a `package:` line), False (no output at all), None when the
    section is missing or holds something else (pm failed: not known, so not held against it)."""
    if lines is None:
        return None
    text = [line.strip() for line in lines if line.strip()]
    if any(line.startswith("package:") for line in text):
        return True
    return False if not text else None


def parse_health(output: str, package: str = DEFAULT_APP_PACKAGE) -> dict[str, Any]:
    """Parse health_command's output. Unknown or missing values are None, never guessed."""
    sections = _sections(output)
    fields: dict[str, str] = {}
    for line in sections[""]:
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip()

    def number(name: str) -> int | None:
        try:
            return int(fields[name])
        except (KeyError, ValueError):
            return None

    temperature = number("temperature")
    status = number("status")
    powered = any(fields.get(f"{kind} powered") == "true" for kind in ("ac", "usb", "wireless"))
    lines = [line.strip() for line in sections.get("::props", [])]
    while lines and not lines[-1]:
        lines.pop()
    lines += [""] * (4 - len(lines))
    sizes = dict(re.findall(r"(Physical|Override) size:\s*(\d+x\d+)",
                            "\n".join(sections.get("::wm", []))))
    sdk = lines[3]
    app_installed = installed(sections.get("::app"))
    version = next((m.group(1) for m in (re.search(r"versionName=(\S+)", line)
                                         for line in sections.get("::version", [])) if m), None)
    return {
        "battery_level": number("level"),
        # dumpsys reports tenths of a degree Celsius
        "temperature": temperature / 10 if temperature is not None else None,
        "charging": status == 2 if status is not None else powered,   # BATTERY_STATUS_CHARGING
        "powered": powered,
        "model": lines[0] or None,
        "brand": lines[1] or None,
        "android_version": lines[2] or None,
        "sdk": int(sdk) if sdk.isdigit() else None,
        "screen_size": sizes.get("Override") or sizes.get("Physical"),
        "app": {"package": package, "installed": app_installed,
                "version": version if app_installed else None},
        "keyboard_installed": installed(sections.get("::keyboard")),
    }


def is_hot(was_hot: bool, temperature: float | None, hot: float, cool: float) -> bool:
    """Hysteresis: hot above `hot`, and stays hot until under `cool`."""
    if temperature is None:
        return was_hot
    return temperature >= cool if was_hot else temperature > hot


def _missing(health: dict[str, Any]) -> list[str]:
    """What a check found missing (for the log): the app's package, the keyboard's."""
    app = health.get("app") or {}
    return ([app.get("package") or "the app"] if app.get("installed") is False else []) + \
        ([ADB_KEYBOARD] if health.get("keyboard_installed") is False else [])


class HealthMonitor:
    """Checks each online phone every `interval` seconds and records it on the tracker."""

    def __init__(self, client: DeviceClient, tracker: DeviceTracker, interval: float, hot: float,
                 cool: float, timeout: float = 10.0, workers: int = 8,
                 package: str = DEFAULT_APP_PACKAGE) -> None:
        self.client = client
        self.package = package
        self.command = health_command(package)
        self.tracker = tracker
        self.interval = interval
        self.hot = hot
        self.cool = cool
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="device-health")
        self._due: dict[str, float] = {}       # serial -> monotonic time of next check
        self._busy: set[str] = set()
        self._states: dict[str, str] = {}      # serial -> last state the tracker told us
        self._lock = threading.Lock()
        self._loop = BackgroundLoop("device-health", self._run)
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._unsubscribe = self.tracker.subscribe(self._on_change)
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop(5)
        if self._unsubscribe:
            self._unsubscribe()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def join(self) -> None:
        """Wait for the checks still in flight (after `stop`; bounded by their deadlines)."""
        self._pool.shutdown(wait=True)

    def check_soon(self, serial: str) -> None:
        """A call to the phone timed out (any thread): check now whether it answers at all."""
        with self._lock:
            if serial in self._busy:
                return
            self._due[serial] = 0.0
        self._loop.wake()

    def _on_change(self, serial: str, state: str) -> None:
        with self._lock:
            # stalled -> device comes from a check that was just answered: no new one either.
            came_online = state == "device" and self._states.get(serial) not in ONLINE
            self._states[serial] = state
            # A usability change (hot, quarantine, app missing) repeats the state: no new check.
            if came_online and serial not in self._busy \
                    and self._due.get(serial, 0) > time.monotonic() + 1:
                self._due[serial] = 0.0   # (re)connected: check it now
        if came_online:
            self._loop.wake()

    def _run(self) -> float:
        """The health loop's pass (at least every second): hand the checks now due to the pool."""
        now = time.monotonic()
        for info in [i for state in ONLINE for i in self.tracker.list(state)]:
            with self._lock:
                if info.serial in self._busy or self._due.get(info.serial, 0.0) > now:
                    continue
                self._busy.add(info.serial)
                self._due[info.serial] = now + self.interval
            try:
                self._pool.submit(self.check, info.serial)
            except RuntimeError:  # pool shut down: stopping
                break
        return 1.0

    def check(self, serial: str) -> dict[str, Any] | None:
        """One health check; records it on the tracker. Errors are logged, not raised."""
        began = time.time()
        try:
            try:
                result = self.client.shell(serial, self.command, timeout=self.timeout)
            except DeviceTimeout:
                self._stalled(serial, began)
                return None
            health = parse_health(result.output, self.package)
            health["checked_at"] = time.time()
            info = self.tracker.get(serial)
            was_hot = bool(info and info.hot)
            hot = is_hot(was_hot, health["temperature"], self.hot, self.cool)
            if hot != was_hot:
                log.warning("phone %s is %s (%.1f C)", serial, "hot: resting" if hot else "cool again",
                            health["temperature"])
            missing = _missing(health)
            if info is not None and missing != _missing(info.health):
                if missing:
                    log.warning("phone %s gets no tasks: %s not installed", serial, " and ".join(missing))
                else:
                    log.info("phone %s has the app and the ADB keyboard again", serial)
            if info is not None and info.stalled_since is not None:
                log.warning("phone %s answers again", serial)
            self.tracker.set_health(serial, health, hot)
            return health
        except DeviceError as exc:
            log.info("health check of %s failed: %s", serial, exc.message)
            return None
        except Exception:
            log.exception("health check of %s crashed", serial)
            return None
        finally:
            with self._lock:
                self._busy.discard(serial)

    def _stalled(self, serial: str, began: float) -> None:
        info = self.tracker.get(serial)
        if info is not None and info.state == "device":
            log.warning("phone %s does not answer (no answer to its health check in %g s): "
                        "stalled, no new tasks", serial, self.timeout)
        self.tracker.stalled(serial, began)
        with self._lock:
            self._due[serial] = time.monotonic() + min(self.interval, STALL_RECHECK)
