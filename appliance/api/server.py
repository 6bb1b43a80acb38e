"""The hub's HTTP server: waitress around the falcon app, with connection limits, graceful stop.

`HubServer.start()` runs waitress's loop on its own thread ("http-loop"); request threads are
waitress's. The loop thread owns the connections (per-address caps and deadlines live in
`api/connections.py`). `stop()` (any thread) stops accepting, tells streaming answers to end,
waits for queued and running requests up to a deadline, then closes every connection and joins
the loop. Loop-side work goes through waitress's trigger so the loop's map is only touched on the
loop thread.
"""

from __future__ import annotations

import logging
import select
import threading
import time

from waitress import wasyncore

from appliance.api.connections import HubWSGIServer

log = logging.getLogger("appliance.server")


class HubServer:
    """Defaults of the keyword settings are those of `appliance/config.py`."""

    def __init__(self, app, host: str, port: int, threads: int = 8, max_body_bytes: int = 1 << 20,
                 *, max_upload_bytes: int = 256 << 20, connection_limit: int = 256,
                 connections_per_address: int = 32,
                 idle_timeout: float = 30.0, request_timeout: float = 15.0):
        self.server = HubWSGIServer(
            app, host=host, port=port, threads=threads, ident="appliance",
            clear_untrusted_proxy_headers=True, connection_limit=connection_limit,
            max_body_bytes=max_body_bytes, max_upload_bytes=max_upload_bytes,
            connections_per_address=connections_per_address,
            idle_timeout=idle_timeout, request_timeout=request_timeout)
        self.host = host
        self.port = int(self.server.effective_port)   # waitress gives the numeric string
        self._thread: threading.Thread | None = None
        self._stopped = False
        # One warning per request under load is noise; real problems are logged elsewhere.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def start(self) -> None:
        # waitress's own asyncore loop (server.run) owns this thread and its stop (the trigger
        # below), so it is not a BackgroundLoop.
        self._thread = threading.Thread(target=self.server.run, name="http-loop", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """The HTTP loop thread is running (the systemd watchdog's health check)."""
        return self._thread is not None and self._thread.is_alive()

    def _busy(self) -> bool:
        dispatcher = self.server.task_dispatcher
        with dispatcher.lock:
            if dispatcher.queue or dispatcher.active_count > 0:
                return True
        for channel in list(self.server.active_channels.values()):
            # `request`: one being received (headers or body still arriving); `requests`: parsed
            # and waiting for a thread; outbufs: an answer not yet flushed to the client.
            if channel.request is not None or channel.requests or channel.total_outbufs_len:
                return True
        return False

    def stop(self, timeout: float = 10.0) -> bool:
        """Graceful stop. Returns True when every in-flight request finished in time.
        Idempotent; on a server never started (the hub failed to start) it frees the listening
        socket and waitress's worker threads, which `create_server` already started."""
        if self._stopped:
            return True
        self._stopped = True
        if self._thread is None:
            self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
            self.server.close()
            return True
        self.server.stopping.set()   # event streams end at their next check (about a second)
        closed = threading.Event()

        def stop_accepting() -> None:
            # Connections the kernel already completed wait in the backlog: their clients have
            # sent, or are sending, requests in flight. Take them in before closing the
            # listening socket (closing it would reset them). Then the listening socket only:
            # BaseWSGIServer.close() would also close the trigger.
            listener = self.server.socket
            for _ in range(self.server.adj.backlog):
                if listener is None or not select.select([listener], [], [], 0)[0]:
                    break
                self.server.handle_accept()
            wasyncore.dispatcher.close(self.server)
            closed.set()

        self.server.trigger.pull_trigger(stop_accepting)
        closed.wait(timeout)
        # Two more turns of the loop: what those connections had sent is read (their requests
        # begun), so the wait below sees them as in flight.
        for _ in range(2):
            turned = threading.Event()
            self.server.trigger.pull_trigger(turned.set)
            turned.wait(timeout)
        deadline = time.monotonic() + timeout
        while self._busy() and time.monotonic() < deadline:
            time.sleep(0.02)
        drained = not self._busy()
        if not drained:
            log.warning("stopping with requests still in flight after %.1f s", timeout)
        self.server.task_dispatcher.shutdown(cancel_pending=False, timeout=1)

        def close_all() -> None:
            for channel in list(self.server.active_channels.values()):
                channel.close()
            self.server.trigger.close()

        self.server.trigger.pull_trigger(close_all)
        self._thread.join(timeout + 2)
        self._thread = None
        return drained
