"""Which phones the hub can use right now: `host:track-devices` (polling as fallback) + flags.

The tracker thread owns the connection to the adb server and is the only writer of states; the
health thread writes health and `hot` (and what it found of the app and the ADB keyboard), the
engine `quarantine`. Readers (any thread) get copies. When tracking breaks every phone turns
"unknown" until the next full list: never stale. `DeviceInfo.unusable_reason` says why a phone
gets no tasks, in words an operator acts on.
"""

from __future__ import annotations

import copy
import logging
import socket
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from appliance.devices.health import ADB_KEYBOARD, ADB_KEYBOARD_IME
from appliance.devices.wire import host_query, parse_device_list
from appliance.errors import DeviceError

log = logging.getLogger(__name__)

STATES = ("device", "offline", "unauthorized", "absent", "unknown")
PREPARING = "see README, 'Preparing a phone'"
STATE_REASONS = {
    "offline": "the phone is offline: check its cable or Wi-Fi and that USB debugging is still on "
               "(a TCP phone is reconnected by the hub once it answers)",
    "absent": "the phone is not connected to the hub: plug it in, or "
              "`appliance devices connect HOST:PORT` for a phone on Wi-Fi",
    "unauthorized": "the phone has not accepted this hub's adb key: unlock it and tap "
                    f"\"Always allow from this computer\" on the USB debugging prompt ({PREPARING})",
    "unknown": "the hub is re-syncing with its adb server: wait a few seconds",
}


def normalize(adb_state: str) -> str:
    """adb's many states -> the five the hub shows (the raw one stays in `adb_state`)."""
    if adb_state == "device":
        return "device"
    if adb_state in ("unauthorized", "authorizing"):
        return "unauthorized"
    return "offline"  # offline, connecting, bootloader, recovery, sideload, no permissions, host


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).astimezone().isoformat(timespec="seconds")


@dataclass
class DeviceInfo:
    serial: str
    state: str
    adb_state: str
    first_seen: float
    last_seen: float
    changed_at: float
    hot: bool = False
    quarantined: str | None = None      # the reason, while quarantined
    health: dict[str, Any] = field(default_factory=dict)

    @property
    def transport(self) -> str:
        return "tcp" if ":" in self.serial else "usb"

    @property
    def app_missing(self) -> bool:
        """The last health check found the app not installed (not checked yet: False)."""
        return (self.health.get("app") or {}).get("installed") is False

    @property
    def keyboard_missing(self) -> bool:
        return self.health.get("keyboard_installed") is False

    @property
    def usable(self) -> bool:
        return (self.state == "device" and not self.hot and not self.quarantined
                and not self.app_missing and not self.keyboard_missing)

    @property
    def unusable_reason(self) -> str | None:
        """Why the phone gets no tasks, with what to do; None while it is usable."""
        if self.state != "device":
            return STATE_REASONS.get(self.state, f"the phone is {self.state}")
        reasons = []
        if self.quarantined:
            reasons.append(f"quarantined ({self.quarantined}): no new tasks until it is unplugged "
                           "and plugged back, or disconnected and connected again")
        if self.hot:
            temperature = self.health.get("temperature")
            reasons.append("the phone is hot" + (f" ({temperature:.1f} C)" if temperature is not None
                                                 else "") + ": it rests until it has cooled down "
                           "(cool_temperature)")
        if self.app_missing:
            package = (self.health.get("app") or {}).get("package")
            reasons.append(f"TikTok ({package}) is not installed on this phone: install it from "
                           f"the Play Store ({PREPARING})")
        if self.keyboard_missing:
            reasons.append(f"the ADB keyboard ({ADB_KEYBOARD}) is not installed: adb install "
                           f"ADBKeyboard.apk, then `adb shell ime enable {ADB_KEYBOARD_IME}` "
                           "(see README)")
        return "; ".join(reasons) or None

    def to_dict(self) -> dict[str, Any]:
        """The API's device object (timestamps as ISO 8601 with offset)."""
        out = asdict(self)
        out.update(transport=self.transport, usable=self.usable,
                   unusable_reason=self.unusable_reason,
                   first_seen=_iso(self.first_seen), last_seen=_iso(self.last_seen),
                   changed_at=_iso(self.changed_at))
        return out


class TrackUnsupported(Exception):
    """The adb server refused host:track-devices: poll instead."""


class DeviceTracker:
    """Keeps one DeviceInfo per serial ever seen since start; notifies subscribers of changes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5037, poll_interval: float = 2.0,
                 clock: Callable[[], float] = time.time):
        self.host = host
        self.port = port
        self.poll_interval = poll_interval
        self.clock = clock
        self.mode = "idle"          # "track", "poll" or "idle"; for health reports and tests
        self.syncs = 0              # full lists applied (a test waits on this to see a re-sync)
        self._devices: dict[str, DeviceInfo] = {}
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[str, str], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._next_poll = 0.0

    # --- readers (any thread) ---
    def get(self, serial: str) -> DeviceInfo | None:
        with self._lock:
            info = self._devices.get(serial)
            return copy.deepcopy(info) if info else None

    def list(self, state: str | None = None) -> list[DeviceInfo]:
        with self._lock:
            items = [copy.deepcopy(i) for i in self._devices.values() if state in (None, i.state)]
        return sorted(items, key=lambda i: i.serial)

    def usable(self, serial: str) -> bool:
        with self._lock:
            info = self._devices.get(serial)
            return bool(info and info.usable)

    def known(self, serial: str) -> bool:
        with self._lock:
            return serial in self._devices

    def subscribe(self, callback: Callable[[str, str], None]) -> Callable[[], None]:
        """Call `callback(serial, state)` on the tracker (or health) thread after every state
        change, and when usability changes (hot, quarantine). Returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def wait_for(self, serial: str, predicate: Callable[[DeviceInfo | None], bool],
                 timeout: float) -> DeviceInfo | None:
        """Block until `predicate(get(serial))` holds (True) or timeout; returns the last info."""
        changed = threading.Event()
        unsubscribe = self.subscribe(lambda s, _state: s == serial and changed.set())
        try:
            end = time.monotonic() + timeout
            while True:
                info = self.get(serial)
                if predicate(info) or time.monotonic() >= end:
                    return info
                changed.wait(min(0.2, max(0.0, end - time.monotonic())))
                changed.clear()
        finally:
            unsubscribe()

    # --- writers ---
    def apply(self, states: dict[str, str]) -> None:
        """Merge one complete device list {serial: adb state} (tracker thread)."""
        now = self.clock()
        events = []
        with self._lock:
            for serial, adb_state in states.items():
                state = normalize(adb_state)
                info = self._devices.get(serial)
                if info is None:
                    info = self._devices[serial] = DeviceInfo(serial, "absent", adb_state, now, now, now)
                    previous = None
                else:
                    previous = info.state
                info.adb_state = adb_state
                info.last_seen = now
                if state != previous:
                    if state == "device" and previous in ("offline", "absent"):
                        info.quarantined = None   # it disconnected and came back
                    info.state, info.changed_at = state, now
                    events.append((serial, state))
            for serial, info in self._devices.items():
                if serial not in states and info.state != "absent":
                    info.state, info.adb_state, info.changed_at = "absent", "absent", now
                    events.append((serial, "absent"))
            self.syncs += 1
        self._notify(events)

    def mark_unknown(self) -> None:
        """Tracking broke: nothing known is trusted until the next full list."""
        now = self.clock()
        events = []
        with self._lock:
            for serial, info in self._devices.items():
                if info.state != "unknown":
                    info.state, info.changed_at = "unknown", now
                    events.append((serial, "unknown"))
        self._notify(events)

    def refresh_soon(self) -> None:
        """Poll the server's list at the next chance (a caller saw a phone vanish)."""
        self._next_poll = 0.0

    def quarantine(self, serial: str, reason: str) -> None:
        """No new tasks for this phone until it disconnects and comes back (engine thread)."""
        self._set_flags(serial, quarantined=reason or "quarantined")

    def set_health(self, serial: str, health: dict[str, Any], hot: bool) -> None:
        """Record a health reading and the hot flag (health thread)."""
        self._set_flags(serial, health=health, hot=hot)

    def _set_flags(self, serial: str, **changes: Any) -> None:
        events = []
        with self._lock:
            info = self._devices.get(serial)
            if info is None:
                return
            before = info.usable
            for name, value in changes.items():
                setattr(info, name, value)
            if "health" in changes and info.state == "device":
                info.last_seen = self.clock()
            if info.usable != before:
                events.append((serial, info.state))
        self._notify(events)

    def _notify(self, events: list[tuple[str, str]]) -> None:
        if not events:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for serial, state in events:
            for callback in subscribers:
                try:
                    callback(serial, state)
                except Exception:  # one bad subscriber must not stop tracking
                    log.exception("device subscriber failed on %s -> %s", serial, state)

    # --- the tracker thread ---
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="device-tracker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout)
        self.mode = "idle"

    def _run(self) -> None:
        polling = False
        while not self._stop.is_set():
            try:
                if polling:
                    self._poll()
                else:
                    self._track()
            except TrackUnsupported:
                log.warning("adb server has no host:track-devices; polling every %.1f s",
                            self.poll_interval)
                polling = True
                continue
            except (OSError, ValueError, ConnectionError) as exc:
                if not self._stop.is_set():
                    log.info("device tracking broke (%s); re-syncing", exc)
            if self._stop.is_set():
                break
            self.mode = "idle"
            self.mark_unknown()
            self._stop.wait(0.1)   # the server restarts in ~0.1-1 s; retry soon, no busy loop

    def _track(self) -> None:
        sock = socket.create_connection((self.host, self.port), timeout=2.0)
        self._sock = sock
        try:
            sock.sendall(b"%04x%s" % (len(b"host:track-devices"), b"host:track-devices"))
            status = self._read(sock, 4)
            if status == b"FAIL":
                raise TrackUnsupported(self._read(sock, int(self._read(sock, 4), 16)))
            if status != b"OKAY":
                raise ConnectionError(f"unexpected answer {status!r}")
            self.mode = "track"
            self._next_poll = time.monotonic() + self.poll_interval
            while not self._stop.is_set():
                length = int(self._read(sock, 4), 16)
                self.apply(parse_device_list(self._read(sock, length).decode("utf-8", "replace")))
        finally:
            self._sock = None
            sock.close()

    def _read(self, sock: socket.socket, size: int) -> bytes:
        """Read exactly `size` bytes; wakes to notice stop() and to poll when due.

        adb 29 does not send a track-devices update when a TCP phone drops to "offline" (checked:
        `host:devices` said offline, the tracking stream stayed silent), so a `host:devices`
        poll every `poll_interval` seconds backs the stream up.
        """
        data = b""
        while len(data) < size:
            sock.settimeout(max(0.05, min(0.5, self._next_poll - time.monotonic())))
            try:
                chunk = sock.recv(size - len(data))
            except socket.timeout:
                if self._stop.is_set():
                    raise ConnectionError("stopping") from None
                if time.monotonic() >= self._next_poll:
                    self._poll_once()
                continue
            if not chunk:
                raise ConnectionError("the adb server closed the tracking connection")
            data += chunk
        return data

    def _poll_once(self) -> None:
        self._next_poll = time.monotonic() + self.poll_interval
        try:
            self.apply(parse_device_list(host_query(self.host, self.port, "host:devices", 5.0)))
        except DeviceError as exc:
            raise ConnectionError(exc.message) from None

    def _poll(self) -> None:
        self.mode = "poll"
        while not self._stop.is_set():
            self._poll_once()
            self._stop.wait(self.poll_interval)
