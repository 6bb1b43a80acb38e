"""Health of every online phone on an interval: battery, temperature, charging, model, screen.

The health thread decides which phones are due and hands each check to a small pool, so a stalled
phone costs one pool worker for one deadline and never delays the others. A phone above
`hot_temperature` is hot (not usable) until it is back under `cool_temperature`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from appliance.errors import DeviceError

log = logging.getLogger(__name__)

HEALTH_COMMAND = (
    "dumpsys battery; echo ::props; getprop ro.product.model; getprop ro.product.brand; "
    "getprop ro.build.version.release; getprop ro.build.version.sdk; echo ::wm; wm size"
)


def parse_health(output: str) -> dict[str, Any]:
    """Parse HEALTH_COMMAND's output. Unknown or missing values are None, never guessed."""
    battery, _, rest = output.partition("::props")
    props, _, wm = rest.partition("::wm")
    fields: dict[str, str] = {}
    for line in battery.splitlines():
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
    lines = [line.strip() for line in props.strip().splitlines()]
    lines += [""] * (4 - len(lines))
    sizes = dict(re.findall(r"(Physical|Override) size:\s*(\d+x\d+)", wm))
    sdk = lines[3]
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
    }


def is_hot(was_hot: bool, temperature: float | None, hot: float, cool: float) -> bool:
    """Hysteresis: hot above `hot`, and stays hot until under `cool`."""
    if temperature is None:
        return was_hot
    return temperature >= cool if was_hot else temperature > hot


class HealthMonitor:
    """Checks each online phone every `interval` seconds and records it on the tracker."""

    def __init__(self, client, tracker, interval: float, hot: float, cool: float,
                 timeout: float = 10.0, workers: int = 8):
        self.client = client
        self.tracker = tracker
        self.interval = interval
        self.hot = hot
        self.cool = cool
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="device-health")
        self._due: dict[str, float] = {}       # serial -> monotonic time of next check
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe = None

    def start(self) -> None:
        self._stop.clear()
        self._unsubscribe = self.tracker.subscribe(self._on_change)
        self._thread = threading.Thread(target=self._run, name="device-health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._unsubscribe:
            self._unsubscribe()
        if self._thread is not None:
            self._thread.join(5)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def join(self) -> None:
        """Wait for the checks still in flight (after `stop`; bounded by their deadlines)."""
        self._pool.shutdown(wait=True)

    def _on_change(self, serial: str, state: str) -> None:
        if state == "device":
            with self._lock:
                if serial not in self._busy and self._due.get(serial, 0) > time.monotonic() + 1:
                    self._due[serial] = 0.0   # (re)connected: check it now
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for info in self.tracker.list(state="device"):
                with self._lock:
                    if info.serial in self._busy or self._due.get(info.serial, 0.0) > now:
                        continue
                    self._busy.add(info.serial)
                    self._due[info.serial] = now + self.interval
                try:
                    self._pool.submit(self.check, info.serial)
                except RuntimeError:  # pool shut down: stopping
                    return
            self._wake.wait(1.0)
            self._wake.clear()

    def check(self, serial: str) -> dict[str, Any] | None:
        """One health check; records it on the tracker. Errors are logged, not raised."""
        try:
            result = self.client.shell(serial, HEALTH_COMMAND, timeout=self.timeout)
            health = parse_health(result.output)
            health["checked_at"] = time.time()
            info = self.tracker.get(serial)
            was_hot = bool(info and info.hot)
            hot = is_hot(was_hot, health["temperature"], self.hot, self.cool)
            if hot != was_hot:
                log.warning("phone %s is %s (%.1f C)", serial, "hot: resting" if hot else "cool again",
                            health["temperature"])
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
