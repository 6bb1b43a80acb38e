"""Which phones the hub can use right now: `host:track-devices` (polling as fallback) + flags.

The tracker thread owns the connection to the adb server and is the only writer of adb states;
the health thread writes health, `hot` and "stalled" (what it found of the phone), the engine
`quarantine` and `hold`. Readers (any thread) get copies (`DeviceInfo`, devices/info.py). When
tracking breaks every phone turns "unknown" until the next full list: never stale.
"""

from __future__ import annotations

import builtins
import copy
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from appliance.devices.health import ONLINE
from appliance.devices.info import STATES, DeviceInfo, normalize
from appliance.devices.wire import host_query, parse_device_list
from appliance.errors import DeviceError
from appliance.loops import BackgroundLoop

__all__ = ["STATES", "DeviceInfo", "DeviceTracker", "normalize"]

log = logging.getLogger(__name__)


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
        # The tracker thread; a pass blocks on the adb socket, which stop() shuts to end it.
        self._loop = BackgroundLoop("device-tracker", self._run, interrupt=self._shut_socket)
        self._polling = False   # the server refused host:track-devices (loop thread's)
        self._sock: socket.socket | None = None
        self._next_poll = 0.0
        # Called on the tracker thread with the serials adb lists for the first time since start.
        self.on_new_serials: Callable[[list[str]], object] = lambda serials: None

    # --- readers (any thread) ---
    def get(self, serial: str) -> DeviceInfo | None:
        with self._lock:
            info = self._devices.get(serial)
            return copy.copy(self._current(info, self.clock())) if info else None

    def list(self, state: str | None = None) -> list[DeviceInfo]:
        now = self.clock()
        with self._lock:
            # Shallow copies: a DeviceInfo's fields are replaced, never changed in place (its
            # `health` dict included: set_health stores a new one), so a copy cannot change
            # under its reader. A deep copy was most of the cost of GET /device.
            items = [copy.copy(self._current(i, now)) for i in self._devices.values()
                     if state in (None, i.state)]
        return sorted(items, key=lambda i: i.serial)

    def usable(self, serial: str) -> bool:
        with self._lock:
            info = self._devices.get(serial)
            return bool(info and self._current(info, self.clock()).usable)

    def usable_serials(self) -> set[str]:
        """The phones that get tasks now (the engine's dispatch pass asks only them)."""
        now = self.clock()
        with self._lock:
            return {serial for serial, info in self._devices.items()
                    if self._current(info, now).usable}

    def known(self, serial: str) -> bool:
        with self._lock:
            return serial in self._devices

    @staticmethod
    def _current(info: DeviceInfo, now: float) -> DeviceInfo:
        """`info` with a hold that has run out dropped (under the lock). Nobody is told: the
        engine asks `usable` at every dispatch pass."""
        if info.hold_until is not None and info.hold_until <= now:
            info.hold_reason = info.hold_until = None
        return info

    def subscribe(self, callback: Callable[[str, str], None]) -> Callable[[], None]:
        """Call `callback(serial, state)` on the tracker (or health) thread after every state
        change, and when usability changes (hot, quarantine, hold). Returns an unsubscribe
        function."""
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
        def on_change(changed_serial: str, _state: str) -> None:
            if changed_serial == serial:
                changed.set()

        unsubscribe = self.subscribe(on_change)
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
        with self._lock:
            new = [serial for serial in states if serial not in self._devices]
        if new:
            self._first_listed(new)
        events: builtins.list[tuple[str, str]] = []
        with self._lock:
            for serial, adb_state in states.items():
                state = normalize(adb_state)
                info = self._devices.get(serial)
                if info is None:
                    self._devices[serial] = DeviceInfo(serial, state, adb_state, now, now, now)
                    events.append((serial, state))
                    continue
                info.adb_state, info.last_seen = adb_state, now
                if state != "device":
                    info.stalled_since = None   # a stall belongs to the link that went away
                elif info.stalled_since is not None:
                    state = "stalled"           # adb cannot tell; the health check did
                self._move(info, state, now, events)
            for serial, info in self._devices.items():
                if serial not in states and info.state != "absent":
                    info.adb_state, info.stalled_since = "absent", None
                    self._move(info, "absent", now, events)
            self.syncs += 1
        self._notify(events)

    def _first_listed(self, serials: builtins.list[str]) -> None:
        """Tell `on_new_serials` before anyone can see these phones listed, so whoever sees a
        phone here finds it remembered too (SeenPhones). Its failure must not stop tracking."""
        try:
            self.on_new_serials(serials)
        except Exception:
            log.exception("could not remember the new phones %s", serials)

    def mark_unknown(self) -> None:
        """Tracking broke: nothing known is trusted until the next full list."""
        now = self.clock()
        events: builtins.list[tuple[str, str]] = []
        with self._lock:
            for info in self._devices.values():
                self._move(info, "unknown", now, events)
        self._notify(events)

    @staticmethod
    def _move(info: DeviceInfo, state: str, now: float, events: builtins.list[tuple[str, str]]) -> None:
        """Change `info` to `state` (under the lock), with what coming back clears."""
        previous = info.state
        if state == previous:
            return
        if state == "device" and previous in ("offline", "absent"):
            info.quarantined = None   # it disconnected and came back
        if state == "device" and previous != "unknown":
            info.hold_reason = info.hold_until = None   # back, or answering again
        info.state, info.changed_at = state, now
        events.append((info.serial, state))

    def refresh_soon(self) -> None:
        """Poll the server's list at the next chance (a caller saw a phone vanish, or adb said
        it is unauthorized: adb 29's tracking stream does not report that change for TCP)."""
        self._next_poll = 0.0

    def quarantine(self, serial: str, reason: str) -> None:
        """No new tasks for this phone until it disconnects and comes back (engine thread)."""
        self._set_flags(serial, quarantined=reason or "quarantined")

    def hold(self, serial: str, reason: str, seconds: float) -> None:
        """No new tasks for `seconds`, or until the phone comes back sooner (engine thread)."""
        self._set_flags(serial, hold_reason=reason, hold_until=self.clock() + seconds)

    def set_health(self, serial: str, health: dict[str, Any], hot: bool) -> None:
        """Record a health reading and the hot flag (health thread); the phone answered, so it
        is not stalled."""
        self._set_flags(serial, health=health, hot=hot, stalled_since=None)

    def stalled(self, serial: str, since: float) -> None:
        """A health check begun at `since` got no answer (health thread): no new tasks until one
        answers. Only a phone adb lists as a device can stall; the first `since` is kept."""
        self._set_flags(serial, only_if=lambda info: info.state in ONLINE
                        and info.stalled_since is None, stalled_since=since)

    def _set_flags(self, serial: str, only_if: Callable[[DeviceInfo], bool] | None = None,
                   **changes: Any) -> None:
        events: builtins.list[tuple[str, str]] = []
        with self._lock:
            info = self._devices.get(serial)
            if info is None or (only_if is not None and not only_if(info)):
                return
            now = self.clock()
            before = self._current(info, now).usable
            for name, value in changes.items():
                setattr(info, name, value)
            if info.state in ONLINE:
                self._move(info, "stalled" if info.stalled_since is not None else "device",
                           now, events)
            if "health" in changes and info.state == "device":
                info.last_seen = now
            if not events and info.usable != before:
                events.append((serial, info.state))
        self._notify(events)

    def _notify(self, events: builtins.list[tuple[str, str]]) -> None:
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
        self._polling = False
        self._loop.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._loop.stop(timeout)
        self.mode = "idle"

    def _shut_socket(self) -> None:
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _run(self) -> float:
        """One tracking session (or polling, on a server without track-devices) until it breaks;
        then the phones are unknown until the next session re-syncs them."""
        try:
            if self._polling:
                self._poll()
            else:
                self._track()
        except TrackUnsupported:
            log.warning("adb server has no host:track-devices; polling every %.1f s",
                        self.poll_interval)
            self._polling = True
            return 0.0
        except (OSError, ValueError, ConnectionError) as exc:
            if not self._loop.stopping.is_set():
                log.info("device tracking broke (%s); re-syncing", exc)
        if self._loop.stopping.is_set():
            return 0.0
        self.mode = "idle"
        self.mark_unknown()
        return 0.1   # the server restarts in ~0.1-1 s; retry soon, no busy loop

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
            while not self._loop.stopping.is_set():
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
            except TimeoutError:
                if self._loop.stopping.is_set():
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
        while not self._loop.stopping.is_set():
            self._poll_once()
            self._loop.stopping.wait(self.poll_interval)
