"""`appliance serve`: run the hub in the foreground until SIGTERM or Ctrl-C, then stop gracefully.

Signal handlers only set an event; the main thread then stops accepting, drains requests,
stops the engine and devices, and closes the store (exit code 0).
"""

from __future__ import annotations

import logging
import signal
import threading

import click

from appliance.errors import ApplianceError


def run_hub(config, on_ready=None, stop_event: threading.Event | None = None) -> int:
    """Serve until `stop_event` is set or SIGTERM/SIGINT arrives. Returns the exit code."""
    from appliance import sdnotify
    from appliance.api.app import create_app
    from appliance.api.server import HubServer
    from appliance.services import build_services

    stop_event = stop_event or threading.Event()
    log = logging.getLogger("appliance")
    services = build_services(config)
    try:
        server = HubServer(create_app(services), config.host, config.port, config.threads,
                           config.max_body_bytes)
    except OSError as exc:
        services.close()
        raise click.ClickException(
            f"Cannot listen on {config.host}:{config.port}: {exc.strerror or exc}. "
            "Stop whatever uses that port or choose another with --port.") from None
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop_event.set())
    try:
        services.start()
        server.start()
        host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
        log.info("hub listening on http://%s:%d/api/v1/ (state in %s)",
                 host, server.port, config.state_dir)
        if on_ready:
            on_ready(server, services)
        # systemd (Type=notify): READY once the API answers; the watchdog pings only while the
        # HTTP loop lives, so a wedged hub is restarted by WatchdogSec.
        sdnotify.ready(f"serving on port {server.port}")
        watchdog = sdnotify.start_watchdog(healthy=server.alive)
        stop_event.wait()
        log.info("stopping: draining requests")
        sdnotify.stopping()
        if watchdog is not None:
            watchdog.stop()
        server.stop(config.shutdown_timeout)
    finally:
        server.stop(0)   # no-op after the graceful stop; after a failed start, frees the port
        services.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
    return 0


@click.command()
@click.option("--host", default=None, help="Address to bind (default from config: 0.0.0.0).")
@click.option("--port", type=int, default=None, help="API port (default from config: 50809).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of the store and token (default from config).")
@click.option("--no-adb", is_flag=True, help="Serve the API and store only; run nothing on phones.")
@click.pass_obj
def serve(lazy_config, host, port, state_dir, no_adb) -> None:
    """Run the hub: the Local API on HOST:PORT, the task engine and the adb server."""
    overrides = {k: v for k, v in (("host", host), ("port", port), ("state_dir", state_dir))
                 if v is not None}
    if no_adb:
        overrides["adb_enabled"] = False
    config = lazy_config.get(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def ready(server, services) -> None:
        click.echo(f"appliance: serving http://{config.host}:{server.port}/api/v1/", err=True)

    try:
        code = run_hub(config, on_ready=ready)
    except ApplianceError as exc:
        raise click.ClickException(exc.message) from None
    raise SystemExit(code)


commands: list[click.Command] = [serve]
