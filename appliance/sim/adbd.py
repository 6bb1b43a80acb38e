"""The emulated adbd of one simulated phone: a TCP listener, ADB transports and their streams.

Threads: one accept thread per phone, one reader thread per transport (it answers CNXN/AUTH/OKAY
and feeds streams), one thread per opened stream running its service (shell:, exec:, sync:,
reboot:). Socket writes go through the transport's send lock; fault switches come from any thread.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Protocol

from appliance.sim import adb_protocol as p
from appliance.sim.fs import VirtualFs
from appliance.sim.sync import serve_sync


class Device(Protocol):
    """What adbd needs from the phone behind it (SimPhone implements it)."""

    fs: VirtualFs  # what the sync service (push, pull, stat, list) reads and writes

    def banner(self) -> bytes: ...
    def prompt(self) -> str: ...
    def shell_session(self) -> Callable[[str], bytes]: ...
    def run_shell(self, command: str) -> bytes: ...
    def command_latency(self) -> float: ...
    def is_unauthorized(self) -> bool: ...
    def is_stalled(self) -> bool: ...
    def reboot(self) -> None: ...


class StreamClosed(Exception):
    """The other end closed the stream (or the transport went away)."""


class Stream:
    """One ADB stream: inbound bytes from WRTE, outbound WRTE with one packet in flight."""

    def __init__(self, transport: Transport, local_id: int, remote_id: int):
        self.transport = transport
        self.local_id = local_id
        self.remote_id = remote_id
        self._cond = threading.Condition()
        self._inbox = bytearray()
        self._acked = True
        self.closed = False

    # -- called by the reader thread
    def feed(self, data: bytes) -> None:
        with self._cond:
            self._inbox += data
            self._cond.notify_all()

    def acked(self) -> None:
        with self._cond:
            self._acked = True
            self._cond.notify_all()

    def peer_closed(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    # -- called by the service thread
    def read_exact(self, size: int) -> bytes:
        with self._cond:
            while len(self._inbox) < size:
                if self.closed:
                    raise StreamClosed()
                self._cond.wait()
            data = bytes(self._inbox[:size])
            del self._inbox[:size]
            return data

    def read_some(self) -> bytes:
        with self._cond:
            while not self._inbox:
                if self.closed:
                    raise StreamClosed()
                self._cond.wait()
            data = bytes(self._inbox)
            self._inbox.clear()
            return data

    def write(self, data: bytes) -> None:
        limit = self.transport.max_payload
        view = memoryview(data)
        for start in range(0, len(view), limit):
            with self._cond:
                # One WRTE in flight per stream until the server's OKAY (protocol.txt).
                while not self._acked and not self.closed:
                    self._cond.wait()
                if self.closed:
                    raise StreamClosed()
                self._acked = False
            self.transport.send(p.A_WRTE, self.local_id, self.remote_id, bytes(view[start:start + limit]))

    def close(self) -> None:
        with self._cond:
            if self.closed:
                return
            # Wait for the last WRTE to be acknowledged, as adbd does, before CLSE.
            deadline = time.monotonic() + 5
            while not self._acked and not self.closed and time.monotonic() < deadline:
                self._cond.wait(0.1)
            already = self.closed
            self.closed = True
        self.transport.forget(self.local_id)
        if not already:
            self.transport.send(p.A_CLSE, self.local_id, self.remote_id)


class Transport:
    """One connection from the adb server: handshake, stream table, the reader loop."""

    def __init__(self, adbd: Adbd, sock: socket.socket):
        self.adbd = adbd
        self.device = adbd.device
        self.sock = sock
        self._send_lock = threading.Lock()
        self._streams: dict[int, Stream] = {}
        self._streams_lock = threading.Lock()
        self._next_id = 1
        self.online = False
        self.handshaken = False   # the server's CNXN arrived (we may still be asking for AUTH)
        self.version = p.VERSION_SKIP_CHECKSUM
        self.max_payload = p.MAX_PAYLOAD

    def send(self, command: int, arg0: int, arg1: int, payload: bytes = b"") -> None:
        data = p.pack(command, arg0, arg1, payload, with_checksum=self.version < p.VERSION_SKIP_CHECKSUM)
        try:
            with self._send_lock:
                self.sock.sendall(data)
        except OSError:
            self.close()
            raise StreamClosed() from None

    def accept(self) -> None:
        """Answer the handshake with our CNXN: the transport is online."""
        self.online = True
        self.send(p.A_CNXN, self.version, p.MAX_PAYLOAD, self.device.banner())

    def forget(self, local_id: int) -> None:
        with self._streams_lock:
            self._streams.pop(local_id, None)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def run(self) -> None:
        try:
            while True:
                message = p.read_message(self.sock)
                if self.device.is_stalled():
                    continue  # stall fault: the socket stays open but nothing is answered
                self._handle(message)
        except (EOFError, OSError, p.ProtocolError, StreamClosed):
            pass
        finally:
            self.close()
            with self._streams_lock:
                streams, self._streams = list(self._streams.values()), {}
            for stream in streams:
                stream.peer_closed()
            self.adbd.transport_gone(self)

    def _handle(self, m: p.Message) -> None:
        if m.command == p.A_CNXN:
            self.version = min(m.arg0, p.VERSION_SKIP_CHECKSUM)
            self.max_payload = max(256, min(m.arg1, p.MAX_PAYLOAD))
            self.handshaken = True
            if self.device.is_unauthorized():
                self.send(p.A_AUTH, p.AUTH_TOKEN, 0, os.urandom(20))
            else:
                self.accept()
        elif m.command == p.A_AUTH:
            # Only reached when we asked (unauthorized fault): refuse every signature, and
            # ignore the offered public key, like a phone whose user never taps "Allow".
            if m.arg0 == p.AUTH_SIGNATURE:
                self.send(p.A_AUTH, p.AUTH_TOKEN, 0, os.urandom(20))
        elif not self.online:
            return
        elif m.command == p.A_OPEN:
            self._open(m.arg0, m.payload.rstrip(b"\0").decode("utf-8", "surrogateescape"))
        elif m.command == p.A_OKAY:
            stream = self._streams.get(m.arg1)
            if stream is not None:
                stream.acked()
        elif m.command == p.A_WRTE:
            stream = self._streams.get(m.arg1)
            if stream is not None:
                stream.feed(m.payload)
                self.send(p.A_OKAY, m.arg1, m.arg0)
        elif m.command == p.A_CLSE:
            with self._streams_lock:
                stream = self._streams.pop(m.arg1, None)
            if stream is not None:
                stream.peer_closed()

    def _open(self, remote_id: int, service: str) -> None:
        handler = _service_handler(service)
        if handler is None:
            self.send(p.A_CLSE, 0, remote_id)  # adbd's answer to a service it cannot start
            return
        with self._streams_lock:
            local_id = self._next_id
            self._next_id += 1
            stream = Stream(self, local_id, remote_id)
            self._streams[local_id] = stream
        self.send(p.A_OKAY, local_id, remote_id)
        threading.Thread(target=self._serve, args=(handler, stream, service), daemon=True,
                         name=f"adbd-{self.adbd.port}-{service[:20]}").start()

    def _serve(self, handler, stream: Stream, service: str) -> None:
        try:
            handler(self, stream, service)
        except StreamClosed:
            pass
        finally:
            try:
                stream.close()
            except StreamClosed:
                pass


# -- services ---------------------------------------------------------------------------------

def _shell(transport: Transport, stream: Stream, service: str) -> None:
    command = service.split(":", 1)[1]  # "shell:CMD", "exec:CMD", "shell,raw:CMD"
    if not command.strip() and service.startswith("shell"):
        _interactive(transport, stream)
        return
    latency = transport.device.command_latency()
    if latency:
        time.sleep(latency)
    stream.write(transport.device.run_shell(command))


def _interactive(transport: Transport, stream: Stream) -> None:
    """`adb shell` with no command: a line-at-a-time shell on a pseudo-terminal (echo, CRLF)."""
    prompt = f"{transport.device.prompt()}:/ $ ".encode()
    session = transport.device.shell_session()
    stream.write(prompt)
    line = bytearray()
    while True:
        data = stream.read_some()
        for byte in data:
            if byte in (0x0D, 0x0A):
                stream.write(b"\r\n")
                text = line.decode("utf-8", "surrogateescape")
                line.clear()
                if text.strip() in ("exit", "logout"):
                    return
                if text.strip():
                    output = session(text)
                    stream.write(output.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
                stream.write(prompt)
            elif byte == 0x04 and not line:  # Ctrl-D
                return
            elif byte in (0x08, 0x7F):
                if line:
                    line.pop()
                    stream.write(b"\b \b")
            else:
                line.append(byte)
                stream.write(bytes([byte]))


def _sync(transport: Transport, stream: Stream, service: str) -> None:
    serve_sync(stream, transport.device.fs, transport.device.command_latency)


def _reboot(transport: Transport, stream: Stream, service: str) -> None:
    stream.peer_closed()
    transport.device.reboot()


def _service_handler(service: str):
    if service.startswith(("shell:", "shell,", "exec:")):
        return _shell
    if service == "sync:":
        return _sync
    if service.startswith("reboot:"):
        return _reboot
    return None


# -- listener -----------------------------------------------------------------------------------

class Adbd:
    """Listens on 127.0.0.1:port for one phone; `unplug()`/`plug()` close and reopen the port."""

    def __init__(self, device: Device, port: int = 0, host: str = "127.0.0.1"):
        self.device = device
        self.host = host
        self.port = port
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._transports: set[Transport] = set()
        self._lock = threading.Lock()
        self.accepting = False

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock
        self.accepting = True
        self._thread = threading.Thread(target=self._accept_loop, args=(sock,), daemon=True,
                                        name=f"adbd-accept-{self.port}")
        self._thread.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _addr = listener.accept()
            except OSError:
                return
            if not self.accepting:
                sock.close()
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # 44 ms -> ~1 ms per call
            transport = Transport(self, sock)
            with self._lock:
                self._transports.add(transport)
            threading.Thread(target=transport.run, daemon=True, name=f"adbd-conn-{self.port}").start()

    def transport_gone(self, transport: Transport) -> None:
        with self._lock:
            self._transports.discard(transport)

    def drop_transports(self) -> None:
        """Close every current connection (the server sees the phone go offline)."""
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()

    def authorize_pending(self) -> None:
        """The user tapped "Allow": transports waiting on AUTH get our CNXN and go online."""
        with self._lock:
            waiting = [t for t in self._transports if t.handshaken and not t.online]
        for transport in waiting:
            try:
                transport.accept()
            except StreamClosed:
                pass

    def connected(self) -> bool:
        with self._lock:
            return any(t.online for t in self._transports)

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        self.accepting = False
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() on Linux
            except OSError:
                pass
            listener.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2)

    def unplug(self) -> None:
        self._close_listener()
        self.drop_transports()

    def plug(self) -> None:
        if self._listener is not None:
            return
        deadline = time.monotonic() + 5
        while True:
            try:
                self.start()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.unplug()
