"""Waitress extended where it invites it: connection caps, deadlines, and its own errors enveloped.

`HubWSGIServer` closes a connection at accept when its address already holds
`connections_per_address`, and its maintenance drops idle connections and slow senders (a request
started but not fully received within `request_timeout`, however often bytes trickle in).
A connection whose answer is still being sent (an event stream, however long) has a request in
flight, so neither deadline cuts it. `EnvelopeErrorTask` answers what waitress refuses itself
(malformed request, headers or body over its limits, an internal failure) in the envelope.
Waitress's loop thread ("http-loop") owns the per-address counts and the receive clocks: accept,
read, close and maintenance all run there; the tasks run on waitress worker threads and read
only the server's fixed limits, its stop flag and their own channel's unsent byte count.
"""

from __future__ import annotations

import copy
import fcntl
import logging
import struct
import termios
import threading
import time
from collections import Counter

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, WSGITask

from appliance.api import envelope
from appliance.api.middleware import upload_route

log = logging.getLogger("appliance.server")
# Once its headers are in, a request with a body has request_timeout plus a second per MiB.
BODY_RATE = 1 << 20


class EnvelopeErrorTask(ErrorTask):
    """Waitress's error answer (its own status line) with an envelope body instead of plain text."""

    def execute(self) -> None:
        error = self.request.error
        code, message = self._describe(error.code, " ".join(str(error.body).split())[:100])
        body = envelope.json_dumps({"code": code, "message": message, "data": None})
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)

    def _describe(self, status: int, detail: str) -> tuple[int, str]:
        server = self.channel.server
        if status == 413:
            limit = self.request.adj.max_request_body_size - 1   # the route's (HubParser)
            return 41301, (f"The request body is over the limit of {limit} bytes; "
                           "send less data per request.")
        if status == 431:
            # 40001 like any other malformed request (docs/API.md, Error codes has none of its own).
            return 40001, (f"The request's line and headers are over the limit of "
                           f"{server.adj.max_request_header_size} bytes; send shorter headers.")
        if status == 501:
            # The client chose an encoding the hub does not speak: its request to fix, not a fault.
            return 40001, (f"{detail.rstrip('.')}: send the body with Content-Length or "
                           "Transfer-Encoding: chunked.")
        if status >= 500:
            return 50001, envelope.INTERNAL_MESSAGE
        return 40001, (f"The hub could not read this HTTP request ({detail.rstrip('.')}); send "
                       "well-formed HTTP/1.1, with bytes outside ASCII in the URL percent-encoded.")


def unacknowledged(sock) -> int:
    """Bytes the kernel holds for the peer that it has not acknowledged (Linux SIOCOUTQ); 0 where
    the kernel does not say, or the socket is closed."""
    try:
        answer = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
    except (OSError, ValueError):
        return 0
    return struct.unpack("i", answer)[0]


class StreamingTask(WSGITask):
    """Waitress's WSGI task, telling a long answer (an event stream) what only the server knows:
    `appliance.unsent_bytes()`, what was written for the client that it has not taken yet (in
    waitress's buffers, which grow to 16 MB and then spill to disk for a reader that stopped
    reading, and in the kernel's, which autotune to megabytes), and `appliance.stopping()`, the
    hub is stopping and waits for answers in flight to end."""

    def get_environment(self) -> dict:
        environ = super().get_environment()
        channel = self.channel
        environ["appliance.unsent_bytes"] = (
            lambda: channel.total_outbufs_len + unacknowledged(channel.socket))
        environ["appliance.stopping"] = channel.server.stopping.is_set
        return environ


class HubParser(HTTPRequestParser):
    """Waitress's request parser with the body limit of the request's route: a material upload
    may send max_material_bytes, anything else max_body_bytes. Waitress checks the limit when the
    headers end, before any of the body is read, against the parser's `adj`."""

    def __init__(self, adj: Adjustments, upload_adj: Adjustments):
        super().__init__(adj)
        self.upload_adj = upload_adj

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        if upload_route(self.command, self.path):
            self.adj = self.upload_adj


class HubChannel(HTTPChannel):
    """One client connection: counted per address, and timed from the first byte of each request."""

    task_class = StreamingTask
    error_task_class = EnvelopeErrorTask

    def parser_class(self, adj: Adjustments) -> HubParser:   # waitress calls it with its adj
        return HubParser(adj, self.server.upload_adj)
    # time.time() (waitress's clock) when the request being received began to arrive.
    receiving_since = 0.0
    body_seen = 0   # bytes received after the current request's headers (its chunked body)
    client_host: str | None = None   # set while counted in the server's per_address

    def __init__(self, server: HubWSGIServer, sock, addr, adj, map=None):
        super().__init__(server, sock, addr, adj, map=map)
        self.client_host = addr[0]
        server.per_address[self.client_host] += 1

    def received(self, data: bytes) -> bool:
        began = self.request
        result = super().received(data)
        if self.request is not None and self.request is not began:
            self.receiving_since = time.time()
            self.body_seen = 0
        if self.request is not None and self.request.headers_finished:
            self.body_seen += len(data)   # with the headers' tail at first: a bound, not a count
        return result

    def del_channel(self, map=None) -> None:
        super().del_channel(map)
        if self.client_host is not None:
            self.server.release(self.client_host)
            self.client_host = None


class HubWSGIServer(TcpWSGIServer):
    """Waitress's TCP server with per-address caps and the two deadlines (see module docstring)."""

    channel_class = HubChannel

    def __init__(self, app, *, max_body_bytes: int, max_upload_bytes: int,
                 connections_per_address: int, idle_timeout: float, request_timeout: float,
                 **adjustments):
        self.max_body_bytes = max_body_bytes
        self.connections_per_address = connections_per_address
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.per_address: Counter[str] = Counter()
        self.refusing: set[str] = set()   # addresses at their cap, logged once until they drop
        self.stopping = threading.Event()  # set by HubServer.stop: long answers end now
        # Waitress refuses a body at its headers when Content-Length reaches its limit: one over
        # ours, so the 41301 comes before any of the body is read. Deadlines are checked every
        # second; poll() because select() fails on descriptors above 1023. A lookahead of one
        # request keeps a connection read while its answer streams, so a client that leaves is
        # seen at once (waitress.client_disconnected) rather than at the next failed write.
        super().__init__(app, max_request_body_size=max_body_bytes + 1, cleanup_interval=1,
                         asyncore_use_poll=True, channel_request_lookahead=1, **adjustments)
        self.upload_adj = copy.copy(self.adj)
        self.upload_adj.max_request_body_size = max_upload_bytes + 1

    def handle_accept(self) -> None:
        try:
            pair = self.accept()
            if pair is None:
                return
            conn, addr = pair
            self.set_socket_options(conn)
        except OSError:
            return  # the client left before we accepted it
        host = addr[0]
        if self.per_address[host] >= self.connections_per_address:
            conn.close()
            if host not in self.refusing:
                self.refusing.add(host)
                log.warning("%s holds %d connections, the most one address may; closing its new "
                            "ones", host, self.connections_per_address)
            return
        self.channel_class(self, conn, addr, self.adj, map=self._map)

    def release(self, host: str) -> None:
        """A counted connection of `host` closed (its channel left the loop's map)."""
        left = self.per_address[host] - 1
        if left:
            self.per_address[host] = left
        else:
            del self.per_address[host]
        self.refusing.discard(host)

    def maintenance(self, now: float) -> None:
        """Close idle connections and slow senders; waitress calls it every cleanup_interval."""
        slow_since, idle_since = now - self.request_timeout, now - self.idle_timeout
        for channel in self.active_channels.values():
            if channel.requests:
                # A request is being served: the connection is neither idle nor slow, and the
                # clock of a request received behind it starts when the hub is ready for it.
                channel.receiving_since = now
            elif channel.request is not None and channel.receiving_since < slow_since - (
                    max(channel.request.content_length, channel.body_seen) / BODY_RATE
                    if channel.request.headers_finished else 0):
                # A body earns a second per MiB, declared (Content-Length) or received so far
                # (chunked): a large upload is not a slow sender.
                channel.will_close = True
            elif channel.last_activity < idle_since:
                channel.will_close = True
