"""One connection to the adb server with a deadline on every read and write, and typed errors.

ppadb's `Connection` has no deadline except shell's idle timeout and raises bare RuntimeError
(LIBRARY-FACTS); `AdbConnection` keeps its framing but bounds each socket operation by the time
left and by an optional cancel event. One connection per call, owned by the calling thread.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

from ppadb.connection import Connection
from ppadb.protocol import Protocol

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

# With a cancel event, a blocked read wakes this often to look at it (the happy path never waits:
# recv returns as soon as bytes arrive).
CANCEL_POLL = 0.05
MAX_REQUEST = 0xFFFF  # the 4-hex-digit length prefix of a smart-socket request

_LINGER_RST = struct.pack("ii", 1, 0)


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


class AdbConnection(Connection):
    """A ppadb Connection whose every socket operation ends by `deadline` (time.monotonic)."""

    def __init__(self, host: str, port: int, deadline: float,
                 cancel: threading.Event | None = None, what: str = "adb call"):
        super().__init__(host, port, timeout=None)
        self.deadline = deadline
        self.cancel = cancel
        self.what = what

    # --- lifetime ---
    def connect(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Like ppadb: reset on close, so an aborted call frees the server's stream at once.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        self.socket = sock
        try:
            sock.settimeout(max(0.001, self._left()))
            sock.connect((self.host, self.port))
        except socket.timeout:
            self.close()
            raise AdbServerDown(
                f"The hub's adb server on port {self.port} did not accept a connection in time.") from None
        except OSError as exc:
            self.close()
            raise AdbServerDown(
                f"The hub's adb server on port {self.port} is not answering ({exc.strerror or exc}); "
                "it is being restarted.") from None
        return sock

    def _left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeviceTimeout(f"The {self.what} did not finish inside its deadline.")
        return left

    def _arm(self) -> None:
        if self.cancel is not None:
            if self.cancel.is_set():
                raise Cancelled(f"The {self.what} was cancelled.")
            self.socket.settimeout(min(self._left(), CANCEL_POLL))
        else:
            self.socket.settimeout(self._left())

    # --- bounded primitives (ppadb's read/write/read_all go through these) ---
    def _recv(self, length: int) -> bytes:
        while True:
            self._arm()
            try:
                return self.socket.recv(length)
            except socket.timeout:
                continue  # _arm raises on deadline or cancel
            except OSError:
                return b""  # reset by the server: same as end of stream for our callers

    def _send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._arm()
            try:
                sent = self.socket.send(view)
            except socket.timeout:
                continue
            except OSError as exc:
                raise EndOfStream(f"connection closed while sending ({exc})") from None
            view = view[sent:]

    def read_exactly(self, length: int) -> bytes:
        chunks, need = [], length
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

    def read_all(self) -> bytes:
        data = bytearray()
        while True:
            chunk = self._recv(65536)
            if not chunk:
                return bytes(data)
            data += chunk

    # --- smart-socket requests ---
    def request(self, service: str) -> None:
        """Send one request and wait for OKAY; FAIL raises ServerFailure with the server's text."""
        payload = service.encode("utf-8")
        if len(payload) > MAX_REQUEST:
            raise InvalidParams(f"The command is too long for adb ({len(payload)} bytes, at most 65535).")
        self._send(Protocol.encode_length(len(payload)).encode() + payload)
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
