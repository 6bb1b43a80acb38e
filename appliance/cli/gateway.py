"""`appliance gateway`: the fleet's one Local API over every hub (issue 17), in the foreground.

Like `appliance serve`: waitress through HubServer, signal handlers that only set an event, a
graceful stop on SIGTERM/Ctrl-C (drain requests, clean broker DISCONNECT), errors as one line.
Main thread only.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

import click

from appliance.cli.serve import listen_urls
from appliance.config import Config
from appliance.errors import ApplianceError
from appliance.logs import setup_logging

log = logging.getLogger("appliance")


def run_gateway(config: Config, on_ready: Callable[[Any, Any], None] | None = None,
                stop_event: threading.Event | None = None) -> int:
    """Serve until `stop_event` is set or SIGTERM/SIGINT arrives. Returns the exit code."""
    from appliance import sdnotify
    from appliance.api.gateway import create_gateway_app
    from appliance.api.server import HubServer
    from appliance.services.gateway import build_gateway

    stop_event = stop_event or threading.Event()
    gateway = build_gateway(config)
    try:
        server = HubServer(create_gateway_app(gateway), config.host, config.port,
                           config.threads + config.event_subscribers, config.max_body_bytes,
                           max_upload_bytes=config.max_body_bytes,
                           connection_limit=config.connection_limit,
                           connections_per_address=config.connections_per_address,
                           idle_timeout=config.idle_timeout,
                           request_timeout=config.request_timeout)
    except OSError as exc:
        gateway.close()
        raise click.ClickException(
            f"Cannot listen on {config.host}:{config.port}: {exc.strerror or exc}. "
            "Stop whatever uses that port or choose another with --port.") from None
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop_event.set())
    try:
        gateway.start()
        server.start()
        first, *others = listen_urls(config.host, int(server.port))
        log.info("gateway serving %s%s; broker %s; state in %s", first,
                 f" (also {', '.join(others)})" if others else "", config.fleet_broker,
                 config.state_dir)
        if on_ready:
            on_ready(server, gateway)
        sdnotify.ready(f"gateway serving on port {server.port}")
        watchdog = sdnotify.start_watchdog(healthy=server.alive)
        stop_event.wait()
        log.info("stopping: draining requests")
        sdnotify.stopping()
        if watchdog is not None:
            watchdog.stop()
        server.stop(config.shutdown_timeout)
    finally:
        server.stop(0)
        gateway.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
    return 0


@click.command()
@click.option("--host", default=None, help="Address to bind (default from config: 0.0.0.0).")
@click.option("--port", type=int, default=None, help="API port (default from config: 50809).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of the gateway's token and fleet quotas (default from config).")
@click.pass_obj
def gateway(lazy_config: Any, host: str | None, port: int | None, state_dir: str | None) -> None:
    """Run the fleet gateway: one Local API over every hub, through the broker of fleet_broker
    (user `gateway`, password fleet_password). See README "Many hubs"."""
    overrides = {k: v for k, v in (("host", host), ("port", port), ("state_dir", state_dir))
                 if v is not None}
    config = lazy_config.get(**overrides)
    setup_logging(config)
    try:
        code = run_gateway(config)
    except ApplianceError as exc:
        raise click.ClickException(exc.message) from None
    raise SystemExit(code)


commands: list[click.Command] = [gateway]
