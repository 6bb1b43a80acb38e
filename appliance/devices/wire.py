"""One connection to the adb server with a deadline on every read and write, and typed errors.

ppadb's `Connection` has no deadline except shell's idle timeout and raises bare RuntimeError
(docs/LIBRARIES.md, ppadb); `AdbConnection` keeps its framing, and one watchdog thread ends any call whose
deadline passes or whose cancel event is set by shutting its socket. One connection per call,
owned by the calling thread; the watchdog only ever shuts sockets down.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from typing import TYPE_CHECKING

from appliance.errors import (
    AdbServerDown,
    Cancelled,
    DeviceCommandFailed,
    DeviceError,
    DeviceNotFound,
    DeviceOffline,
    DeviceTimeout,
    DeviceUnauthorized,
    InvalidParams,
)

MAX_REQUEST = 0xFFFF  # the 4-hex-digit length prefix of a smart-socket request
CANCEL_POLL = 0.05   # how often the watchdog looks at the cancel events of calls in flight
TICK = 1.0           # the watchdog's longest sleep

_LINGER_RST = struct.pack("ii", 1, 0)


class _Watchdog:
    """Ends calls whose deadline passed or whose cancel event was set, by shutting their socket.

    Sockets stay in blocking mode: a Python socket timeout costs a poll() per recv and send,
    which was a third of the layer's overhead over raw ppadb (bench/devices.py). One daemon
    thread for the process; calls register in `connect()` and leave in `close()`.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._live: dict[AdbConnection, float] = {}   # calls in flight -> their deadline
        self._cancellable = 0
        self._wakes_at = float("inf")
        self._thread: threading.Thread | None = None

    def watch(self, conn: AdbConnection) -> None:
        with self._cond:
            self._live[conn] = conn.deadline
            if conn.cancel is not None:
                self._cancellable += 1
            if self._thread is None:
                # Not a BackgroundLoop: it sleeps on its Condition (calls notify it), starts at
                # the first call and lives as long as the process, with nothing to stop.
                self._thread = threading.Thread(target=self._run, name="adb-deadlines", daemon=True)
                self._thread.start()
            elif conn.deadline < self._wakes_at or (conn.cancel is not None and self._cancellable == 1):
                self._cond.notify()   # wake earlier, or start polling cancel events

    def unwatch(self, conn: AdbConnection) -> None:
        with self._cond:
            if self._live.pop(conn, None) is not None and conn.cancel is not None:
                self._cancellable -= 1

    def _run(self) -> None:
        # Wakes at the earliest deadline in flight, at least every TICK, and every CANCEL_POLL
        # while a call has a cancel event; each wake rescans the few calls still in flight.
        with self._cond:
            while True:
                now = time.monotonic()
                earliest = float("inf")
                for conn, deadline in list(self._live.items()):
                    why = "deadline" if deadline <= now else (
                        "cancelled" if conn.cancel is not None and conn.cancel.is_set() else None)
                    if why:
                        del self._live[conn]
                        if conn.cancel is not None:
                            self._cancellable -= 1
                        conn.abort(why)
                    elif deadline < earliest:
                        earliest = deadline
                # Never sleep past TICK: a call whose deadline is later than the planned wake
                # needs no notify, so back-to-back calls never wake this thread (a wake per call
                # cost ~40 us of GIL hand-off in bench/devices.py).
                wait = min(earliest - now, TICK)
                if self._cancellable:
                    wait = min(wait, CANCEL_POLL)
                self._wakes_at = now + wait
                self._cond.wait(wait)


_WATCHDOG = _Watchdog()


class ServerFailure(DeviceError):
    """The adb server answered FAIL; `reason` is its text. Mapped to a typed error by `failure()`."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def failure(reason: str, serial: str | None = None) -> DeviceError:
    """Turn the adb server's FAIL text into the typed error a caller can act on."""
    who = f"Phone {serial}" if serial else "The phone"
    low = reason.lower()
    if "not found" in low:
        return DeviceNotFound(f"{who} is not attached to the hub ({reason.strip()}).")
    if "unauthorized" in low or "authorizing" in low:
        return DeviceUnauthorized(
            f"{who} has not allowed USB debugging for this hub; accept the prompt on the phone.")
    if "offline" in low or "connecting" in low or "no permissions" in low:
        return DeviceOffline(f"{who} is attached but not ready ({reason.strip()}).")
    return DeviceCommandFailed(f"The adb server refused the request: {reason.strip()}")


if TYPE_CHECKING:
    class Connection:
        """What AdbConnection uses of ppadb's `Connection` (ppadb ships no type information)."""

        host: str
        port: int
        timeout: float | None
        socket: socket.socket | None   # None until connect()

        def __init__(self, host: str = "localhost", port: int = 5037,
                     timeout: float | None = None) -> None: ...
        def close(self) -> None: ...
else:
    from ppadb.connection import Connection


class AdbConnection(Connection):
    """A ppadb Connection whose every socket operation ends by `deadline` (time.monotonic)."""

    def __init__(self, host: str, port: int, deadline: float,
                 cancel: threading.Event | None = None, what: str = "adb call"):
        super().__init__(host, port, timeout=None)
        self.deadline = deadline
        self.cancel = cancel
        self.what = what
        self.finished = False
        self.aborted: str | None = None   # "deadline" or "cancelled", set by the watchdog

    # --- lifetime ---
    def connect(self) -> socket.socket:
        if self.cancel is not None and self.cancel.is_set():
            raise Cancelled(f"The {self.what} was cancelled.")
        if time.monotonic() >= self.deadline:
            raise DeviceTimeout(f"The {self.what} did not finish inside its deadline.")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Like ppadb: reset on close, so an aborted call frees the server's stream at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        self.socket = sock
        _WATCHDOG.watch(self)
        try:
            sock.connect((self.host, self.port))   # loopback: refused or accepted at once
        except OSError as exc:
            self.close()
            self._raise_if_aborted()
            raise AdbServerDown(
                f"The hub's adb server on port {self.port} is not answering ({exc.strerror or exc}); "
                "it is being restarted.") from None
        return sock

    def close(self) -> None:
        _WATCHDOG.unwatch(self)
        super().close()

    def abort(self, why: str) -> None:
        """Watchdog thread: wake the blocked call; it raises DeviceTimeout or Cancelled."""
        self.aborted = why
        sock = self.socket
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _raise_if_aborted(self) -> None:
        if self.aborted == "deadline":
            raise DeviceTimeout(f"The {self.what} did not finish inside its deadline.")
        if self.aborted == "cancelled":
            raise Cancelled(f"The {self.what} was cancelled.")

    # --- primitives (ppadb's read/write/read_all go through these) ---
    def _recv(self, length: int) -> bytes:
        assert self.socket is not None, "connect() first"
        try:
            data = self.socket.recv(length)
        except OSError:
            data = b""   # reset by the server: same as end of stream for our callers
        if not data:
            self._raise_if_aborted()
        return data

    def _send(self, data: bytes) -> None:
        assert self.socket is not None, "connect() first"
        try:
            self.socket.sendall(data)
        except OSError as exc:
            self._raise_if_aborted()
            raise EndOfStream(f"connection closed while sending ({exc})") from None

    def read_exactly(self, length: int) -> bytes:
        first = self._recv(length)
        if len(first) == length:   # the usual case: one recv
            return first
        if not first:
            raise EndOfStream(f"stream ended {length} bytes short")
        chunks, need = [first], length - len(first)
        while need:
            chunk = self._recv(min(need, 1 << 20))
            if not chunk:
                raise EndOfStream(f"stream ended {need} bytes short")
            chunks.append(chunk)
            need -= len(chunk)
        return b"".join(chunks)

    def read(self, length: int = 0) -> bytes:
        return self.read_exactly(length)

    def _recv_into(self, length: int) -> bytes:
        return self.read_exactly(length)

    def read_all(self, limit: int | None = None) -> bytes:
        """Everything until the other side closes; DeviceCommandFailed past `limit` bytes (a
        command like `yes` would otherwise fill the hub's memory until its deadline)."""
        data = bytearray()
        while True:
            chunk = self._recv(65536)
            if not chunk:
                return bytes(data)
            data += chunk
            if limit is not None and len(data) > limit:
                raise DeviceCommandFailed(f"The {self.what} printed more than {limit} bytes; "
                                          "it was stopped. Narrow the command's output.")

    # --- smart-socket requests ---
    def request(self, service: str) -> None:
        """Send one request and wait for OKAY; FAIL raises ServerFailure with the server's text."""
        payload = service.encode("utf-8")
        if len(payload) > MAX_REQUEST:
            raise InvalidParams(f"The command is too long for adb ({len(payload)} bytes, at most 65535).")
        self._send(b"%04X" % len(payload) + payload)   # ppadb's Protocol.encode_length
        self._check_status()

    def send(self, msg: str) -> bool:  # ppadb's name for request()
        self.request(msg)
        return True

    def _check_status(self) -> bool:
        status = self.read_exactly(4)
        if status == b"OKAY":
            return True
        if status == b"FAIL":
            raise ServerFailure(self.receive())
        raise EndOfStream(f"unexpected answer {status!r} from the adb server")

    def receive(self) -> str:
        length = int(self.read_exactly(4), 16)
        return self.read_exactly(length).decode("utf-8", "replace")


class EndOfStream(DeviceError):
    """The stream ended early; callers turn it into DeviceLost or AdbServerDown."""


def server_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts connections on the adb server's port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def host_query(host: str, port: int, service: str, timeout: float) -> str:
    """Run one `host:` request that answers with a length-prefixed string (devices, connect...)."""
    conn = AdbConnection(host, port, time.monotonic() + timeout, what=service.split(":")[1])
    conn.connect()
    try:
        conn.request(service)
        return conn.receive()
    except EndOfStream:
        raise AdbServerDown("The hub's adb server closed the connection; it is being restarted.") from None
    finally:
        conn.close()


def parse_device_list(text: str) -> dict[str, str]:
    """`serial<TAB>state` lines (host:devices, host:track-devices) -> {serial: adb state}."""
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if "\t" in line:
            serial, _, rest = line.partition("\t")
        else:
            serial, _, rest = line.partition(" ")
        state = rest.strip()
        # devices-l adds "product:... model:..." after the state; "no permissions" has a space.
        if state.startswith("no permissions"):
            state = "no permissions"
        else:
            state = state.split(" ")[0] if state else "unknown"
        out[serial.strip()] = state
    return out
