"""The client layer the rest of the product uses to talk to phones through the hub's adb server.

Every call opens its own connection (like ppadb), so any thread may call any method and a stalled
phone only ever holds its own caller. Every call has a deadline and an optional cancel event, and
every failure is a typed DeviceError (docs/LIBRARIES.md, ppadb: it has neither).
"""

from __future__ import annotations

import os
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from appliance.devices.quoting import quote
from appliance.devices.wire import (
    AdbConnection,
    EndOfStream,
    ServerFailure,
    failure,
    host_query,
    server_answers,
)
from appliance.errors import (
    AdbServerDown,
    DeviceCommandFailed,
    DeviceError,
    DeviceLost,
    DeviceNotFound,
    DeviceOffline,
    DeviceTimeout,
    DeviceUnauthorized,
    InvalidParams,
)
from appliance.metrics import timed_adb

if TYPE_CHECKING:
    from appliance.devices.server import TcpPhones

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SYNC_CHUNK = 64 * 1024
MAX_OUTPUT = 64 << 20   # bytes of one shell command's output held in memory (screencaps fit)
_U32 = struct.Struct("<I")


class ShellResult(NamedTuple):
    output: str   # stdout and stderr merged (legacy shell), decoded as UTF-8 (bad bytes replaced)
    status: int   # the command's exit status, read from the sentinel

    @property
    def ok(self) -> bool:
        return self.status == 0


def wrap_command(command: str, token: str) -> str:
    """The command line actually sent: legacy `shell:` has no exit status, so a sentinel carries it.

    A nested `sh -c` keeps `exit N`, unbalanced quotes and trailing comments inside the command
    (a `( )` subshell would not survive a `)` in a trailing comment).
    """
    return f"sh -c {quote(command)}; echo {token}:$?"


def split_sentinel(raw: bytes, token: str) -> tuple[bytes, int] | None:
    """Split `<output><token>:<status>\\n` into (output, status); None when the sentinel is missing.

    The token is random per call, so output that happens to contain an old token cannot spoof it;
    output without a trailing newline is returned byte for byte (nothing is added or removed).
    """
    mark = raw.rfind(token.encode())
    if mark < 0:
        return None
    tail = raw[mark + len(token):].strip()
    if not tail.startswith(b":"):
        return None
    try:
        status = int(tail[1:])
    except ValueError:
        return None
    return raw[:mark], status


class DeviceClient:
    """Shell, files, screenshot, connect and reboot on the phones of one adb server.

    `known(serial)` tells whether the tracker has seen the phone, so that a vanished phone is
    DeviceOffline and a never-seen serial DeviceNotFound. `tcp_phones` (optional) remembers the
    addresses that were connected, so that the server supervisor can reconnect them.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 5037, default_timeout: float = 30.0,
                 known: Callable[[str], bool] | None = None,
                 tcp_phones: TcpPhones | None = None) -> None:
        self.host = host
        self.port = port
        self.default_timeout = default_timeout
        self.known = known or (lambda serial: False)
        self.tcp_phones = tcp_phones
        self.on_lost: Callable[[str], None] = lambda serial: None   # the tracker re-polls
        self.on_timeout: Callable[[str], None] = lambda serial: None   # health checks it now

    # --- connections ---
    def _deadline(self, timeout: float | None) -> float:
        timeout = self.default_timeout if timeout is None else timeout
        if timeout <= 0:
            raise InvalidParams("A deadline must be a positive number of seconds.")
        return time.monotonic() + timeout

    def _open(self, serial: str, deadline: float, cancel: threading.Event | None,
              what: str) -> AdbConnection:
        """A connection switched to the phone's transport; maps the server's refusals."""
        if not serial or "\0" in serial or "\n" in serial:
            raise InvalidParams(f"{serial!r} is not a phone serial.")
        conn = AdbConnection(self.host, self.port, deadline, cancel, what=f"{what} on {serial}")
        conn.connect()
        try:
            conn.request(f"host:transport:{serial}")
        except ServerFailure as exc:
            conn.close()
            raise self._failure(exc.reason, serial) from None
        except EndOfStream:
            conn.close()
            raise AdbServerDown(
                "The hub's adb server closed the connection; it is being restarted.") from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _failure(self, reason: str, serial: str) -> DeviceError:
        error = failure(reason, serial)
        if isinstance(error, DeviceNotFound) and self.known(serial):
            return DeviceOffline(f"Phone {serial} is not connected to the hub right now.")
        return error

    def _lost(self, serial: str, what: str) -> DeviceError:
        if not server_answers(self.host, self.port):
            return AdbServerDown(f"The hub's adb server went away during {what} on {serial}; "
                                 "it is being restarted.")
        self.on_lost(serial)
        return DeviceLost(f"Phone {serial} went away during {what}.")

    def _service(self, serial: str, service: str, deadline: float, cancel: threading.Event | None, what: str,
                 limit: int = MAX_OUTPUT) -> bytes:
        """Open `service` on the phone and read its whole output (until the phone closes it)."""
        conn = self._open(serial, deadline, cancel, what)
        try:
            try:
                conn.request(service)
            except ServerFailure as exc:
                raise self._failure(exc.reason, serial) from None
            return conn.read_all(limit)
        except EndOfStream:
            raise self._lost(serial, what) from None
        except DeviceTimeout:
            self.on_timeout(serial)   # the phone may have stalled: is it answering anything?
            raise
        finally:
            conn.close()

    # --- shell ---
    @timed_adb("shell")
    def _shell_raw(self, serial: str, command: str, timeout: float | None, cancel: threading.Event | None,
                   max_output: int = MAX_OUTPUT) -> tuple[bytes, int]:
        if not isinstance(command, str) or not command.strip():
            raise InvalidParams("A shell command must be a non-empty string.")
        deadline = self._deadline(timeout)
        token = "adbx" + os.urandom(6).hex()
        raw = self._service(serial, "shell:" + wrap_command(command, token), deadline, cancel,
                            "shell", max_output)
        parsed = split_sentinel(raw, token)
        if parsed is None:
            # The stream ended before the command did: the phone (or the server) went away.
            raise self._lost(serial, "a shell command")
        return parsed

    def shell(self, serial: str, command: str, timeout: float | None = None,
              cancel: threading.Event | None = None, max_output: int = MAX_OUTPUT) -> ShellResult:
        """Run `command` with the phone's sh; output and exit status. Untrusted parts: quote().
        More than `max_output` bytes of output stops it (DeviceCommandFailed)."""
        output, status = self._shell_raw(serial, command, timeout, cancel, max_output)
        return ShellResult(output.decode("utf-8", "replace"), status)

    def shell_bytes(self, serial: str, command: str, timeout: float | None = None,
                    cancel: threading.Event | None = None, check: bool = True) -> bytes:
        """Binary stdout of `command` (screencap -p); a non-zero status raises DeviceCommandFailed."""
        output, status = self._shell_raw(serial, command, timeout, cancel)
        if check and status != 0:
            text = output[-200:].decode("utf-8", "replace").strip()
            raise DeviceCommandFailed(f"`{command}` failed on {serial} with status {status}: {text}")
        return output

    def screenshot(self, serial: str, timeout: float | None = None,
                   cancel: threading.Event | None = None) -> bytes:
        """The phone's screen as PNG bytes (checked to be a PNG)."""
        data = self.shell_bytes(serial, "screencap -p", timeout, cancel)
        if not data.startswith(PNG_MAGIC):
            # Old phones behind a pty turn \n into \r\n (ppadb undoes it the same way).
            fixed = data.replace(b"\r\n", b"\n")
            if not fixed.startswith(PNG_MAGIC):
                raise DeviceCommandFailed(f"Phone {serial} did not return a PNG screenshot.")
            data = fixed
        return data

    # --- files (sync: sub-protocol; sizes are checked after each transfer) ---
    def _sync(self, serial: str, deadline: float, cancel: threading.Event | None,
              what: str) -> AdbConnection:
        conn = self._open(serial, deadline, cancel, what)
        try:
            conn.request("sync:")
        except ServerFailure as exc:
            conn.close()
            raise self._failure(exc.reason, serial) from None
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _sync_request(conn: AdbConnection, kind: bytes, arg: bytes) -> None:
        conn._send(kind + _U32.pack(len(arg)) + arg)

    def _stat(self, conn: AdbConnection, remote: str) -> tuple[int, int]:
        self._sync_request(conn, b"STAT", remote.encode())
        reply = conn.read_exactly(16)
        if reply[:4] != b"STAT":
            raise DeviceCommandFailed(f"Unexpected sync answer {reply[:4]!r} to STAT {remote}.")
        mode, size, _mtime = struct.unpack("<3I", reply[4:])
        return mode, size

    def _sync_fail(self, conn: AdbConnection, what: str) -> DeviceCommandFailed:
        length = _U32.unpack(conn.read_exactly(4))[0]
        message = conn.read_exactly(length).decode("utf-8", "replace")
        return DeviceCommandFailed(f"{what} failed: {message}")

    @timed_adb("push")
    def push(self, serial: str, local: Path | str, remote: str, timeout: float | None = None,
             cancel: threading.Event | None = None, mode: int = 0o644) -> int:
        """Copy a local file to `remote` on the phone; returns its size, checked on the phone."""
        local = Path(local)
        if not local.is_file():
            raise InvalidParams(f"{local} is not a file.")
        if "," in remote or "\0" in remote:
            raise InvalidParams(f"{remote!r} is not a usable path on the phone.")
        deadline = self._deadline(timeout)
        size = local.stat().st_size
        conn = self._sync(serial, deadline, cancel, "push")
        try:
            self._sync_request(conn, b"SEND", f"{remote},{0o100000 | mode}".encode())
            with local.open("rb") as source:
                while chunk := source.read(SYNC_CHUNK):
                    conn._send(b"DATA" + _U32.pack(len(chunk)) + chunk)
            conn._send(b"DONE" + _U32.pack(int(local.stat().st_mtime)))
            status = conn.read_exactly(4)
            if status == b"FAIL":
                raise self._sync_fail(conn, f"push of {local.name} to {serial}:{remote}")
            if status != b"OKAY":
                raise DeviceCommandFailed(f"Unexpected sync answer {status!r} to a push.")
            conn.read_exactly(4)
            got_mode, got_size = self._stat(conn, remote)
            if got_mode == 0 or got_size != size & 0xFFFFFFFF:
                raise DeviceCommandFailed(
                    f"push to {serial}:{remote} left {got_size} bytes instead of {size}.")
            return size
        except EndOfStream:
            raise self._lost(serial, "a push") from None
        finally:
            conn.close()

    @timed_adb("pull")
    def pull(self, serial: str, remote: str, local: Path | str, timeout: float | None = None,
             cancel: threading.Event | None = None) -> int:
        """Copy `remote` from the phone to a local file (replaced only when complete); its size."""
        local = Path(local)
        deadline = self._deadline(timeout)
        conn = self._sync(serial, deadline, cancel, "pull")
        part = local.with_name(local.name + ".part")
        try:
            mode, size = self._stat(conn, remote)
            if mode == 0:
                raise DeviceCommandFailed(f"{remote} does not exist on {serial}.")
            self._sync_request(conn, b"RECV", remote.encode())
            got = 0
            with part.open("wb") as sink:
                while True:
                    kind = conn.read_exactly(4)
                    if kind == b"DATA":
                        length = _U32.unpack(conn.read_exactly(4))[0]
                        sink.write(conn.read_exactly(length))
                        got += length
                    elif kind == b"DONE":
                        conn.read_exactly(4)
                        break
                    elif kind == b"FAIL":
                        raise self._sync_fail(conn, f"pull of {serial}:{remote}")
                    else:
                        raise DeviceCommandFailed(f"Unexpected sync answer {kind!r} to a pull.")
            if got & 0xFFFFFFFF != size:
                raise DeviceCommandFailed(f"pull of {serial}:{remote} got {got} bytes of {size}.")
            os.replace(part, local)
            return got
        except EndOfStream:
            raise self._lost(serial, "a pull") from None
        finally:
            conn.close()
            part.unlink(missing_ok=True)

    # --- phones and the server ---
    @timed_adb("reboot")
    def reboot(self, serial: str, timeout: float | None = None) -> None:
        """Ask the phone to reboot; returns once it has taken the request (it then goes away)."""
        deadline = self._deadline(timeout)
        try:
            self._service(serial, "reboot:", deadline, None, "reboot")
        except (DeviceLost, DeviceTimeout):
            pass  # the phone dropping its link is what a reboot looks like

    @timed_adb("connect")
    def connect(self, address: str, timeout: float | None = None) -> str:
        """`adb connect address` (host:port); returns the serial the phone is listed under."""
        deadline = self._deadline(timeout)
        try:
            text = host_query(self.host, self.port, f"host:connect:{address}",
                              max(0.01, deadline - time.monotonic()))
        except ServerFailure as exc:
            text = exc.reason
        except DeviceTimeout:
            raise DeviceTimeout(f"Connecting to {address} did not finish in time "
                                "(the phone accepts TCP but does not answer).") from None
        low = text.lower()
        if "authenticate" in low or "unauthorized" in low:
            if self.tcp_phones is not None:
                self.tcp_phones.add(address)
            raise DeviceUnauthorized(
                f"{address} answered but has not allowed USB debugging for this hub; "
                "accept the prompt on the phone.")
        if "connected to" not in low:
            raise DeviceOffline(f"Could not connect to {address}: {text.strip()}")
        if self.tcp_phones is not None:
            self.tcp_phones.add(address)
        return address

    @timed_adb("disconnect")
    def disconnect(self, address: str, timeout: float | None = None, forget: bool = True) -> None:
        """`adb disconnect address`; the address is no longer reconnected after a server restart."""
        deadline = self._deadline(timeout)
        if forget and self.tcp_phones is not None:
            self.tcp_phones.remove(address)
        try:
            host_query(self.host, self.port, f"host:disconnect:{address}",
                       max(0.01, deadline - time.monotonic()))
        except ServerFailure as exc:
            raise DeviceNotFound(f"No phone is connected at {address} ({exc.reason.strip()}).") from None

    def devices(self, timeout: float = 5.0) -> dict[str, str]:
        """{serial: adb state} from `host:devices` (the tracker's polling fallback)."""
        from appliance.devices.wire import parse_device_list

        return parse_device_list(host_query(self.host, self.port, "host:devices", timeout))
