"""`appliance serve`: run the hub in the foreground until SIGTERM or Ctrl-C, then stop gracefully.

Signal handlers only set events; the main thread then stops accepting, drains requests, stops
the engine and devices, and closes the store (exit code 0). SIGHUP re-reads the config file on
the main thread: the logging settings change live, the others are named as needing a restart.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import signal
import socket
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

import click

from appliance.config import SETTINGS, Config
from appliance.errors import ApplianceError
from appliance.logs import setup_logging

if TYPE_CHECKING:
    import falcon

    from appliance.api.server import HubServer
    from appliance.services import Services

log = logging.getLogger("appliance")

LIVE_SETTINGS = ("log_level", "log_format", "access_log")   # what a SIGHUP applies at once
# Seconds between looks at the SIGHUP flag: the main thread waits on the caller's stop event,
# which a reload must not set.
RELOAD_CHECK = 1.0
_SIOCGIFADDR = 0x8915


def interface_addresses() -> list[str]:
    """The box's IPv4 addresses, loopback excluded (Linux; best effort: [] when unknown)."""
    found: list[str] = []
    try:
        interfaces = socket.if_nameindex()
    except OSError:
        return found
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in interfaces:
            try:
                answer = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR,
                                     struct.pack("256s", name.encode()[:15]))
            except OSError:
                continue   # an interface without an IPv4 address
            address = socket.inet_ntoa(answer[20:24])
            if not ipaddress.ip_address(address).is_loopback and address not in found:
                found.append(address)
    return found


def listen_urls(host: str, port: int) -> list[str]:
    """Where clients reach the API: loopback first; for a wildcard bind, the box's addresses."""
    if host in ("0.0.0.0", "::"):
        hosts = ["127.0.0.1" if host == "0.0.0.0" else "::1", *interface_addresses()]
    else:
        hosts = [host]
    return [f"http://{f'[{h}]' if ':' in h else h}:{port}/api/v1/" for h in hosts]


def reload_config(running: Config, reread: Callable[[], Config]) -> Config:
    """SIGHUP: the config file again. Applies the live settings and returns the running config
    with them; a bad file is logged and changes nothing (the hub never stops for it)."""
    try:
        fresh = reread()
    except (ApplianceError, click.ClickException) as exc:
        log.error("config not reloaded, the running settings stay: %s", exc.message)
        return running
    except OSError as exc:
        log.error("config not reloaded, the running settings stay: cannot read %s (%s)",
                  exc.filename, exc.strerror)
        return running
    changed = [s.name for s in SETTINGS if getattr(fresh, s.name) != getattr(running, s.name)]
    live = {name: getattr(fresh, name) for name in changed if name in LIVE_SETTINGS}
    running = running.replace(**live)
    setup_logging(running)
    later = [name for name in changed if name not in LIVE_SETTINGS]
    log.info("config reloaded: %s", ", ".join(f"{k} = {v}" for k, v in live.items())
             or "no live setting changed")
    if later:
        log.warning("changed settings %s take effect at the next restart "
                    "(`sudo systemctl restart appliance`)", ", ".join(later))
    return running


class Part(Protocol):
    """What runs beside the HTTP server: the hub's services or the fleet gateway."""

    def start(self) -> None: ...

    def close(self) -> None: ...


P = TypeVar("P", bound=Part)


def run_until_stopped(config: Config, part: P, app: falcon.App, *, max_upload_bytes: int,
                      serving: str, detail: str = "",
                      on_ready: Callable[[HubServer, P], None] | None = None,
                      stop_event: threading.Event | None = None,
                      on_hup: Callable[[Config], Config] | None = None) -> int:
    """Serve `app` beside `part` until `stop_event` is set or SIGTERM/SIGINT arrives, then drain
    requests and close `part` (it is closed whatever happens). Returns the exit code. With
    `on_hup` (running config -> new running config), SIGHUP calls it on this thread. `serving`
    names the process in its log line and systemd status; `detail` is added to the log line."""
    from appliance import sdnotify
    from appliance.api.server import HubServer

    stop_event = stop_event or threading.Event()
    try:
        # Each open event stream holds a request thread: they get their own, so streams
        # never starve the API.
        server = HubServer(app, config.host, config.port,
                           config.threads + config.event_subscribers,
                           config.max_body_bytes, max_upload_bytes=max_upload_bytes,
                           connection_limit=config.connection_limit,
                           connections_per_address=config.connections_per_address,
                           idle_timeout=config.idle_timeout,
                           request_timeout=config.request_timeout)
    except OSError as exc:
        part.close()
        raise click.ClickException(
            f"Cannot listen on {config.host}:{config.port}: {exc.strerror or exc}. "
            "Stop whatever uses that port or choose another with --port.") from None
    hup = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop_event.set())
        if on_hup is not None:
            previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, lambda *_: hup.set())
    try:
        part.start()
        server.start()
        first, *others = listen_urls(config.host, int(server.port))
        log.info("%s %s%s%s; state in %s", serving, first,
                 f" (also {', '.join(others)})" if others else "", detail, config.state_dir)
        if on_ready:
            on_ready(server, part)
        # systemd (Type=notify): READY once the API answers; the watchdog pings only while the
        # HTTP loop lives, so a wedged server is restarted by WatchdogSec.
        sdnotify.ready(f"{serving} on port {server.port}")
        watchdog = sdnotify.start_watchdog(healthy=server.alive)
        # Always with a timeout: the kernel may hand SIGTERM to any thread, and Python runs its
        # handler only when this (main) thread next runs bytecode; a bare wait() never would.
        while not stop_event.wait(RELOAD_CHECK):
            if on_hup is not None and hup.is_set():
                hup.clear()
                config = on_hup(config)
        log.info("stopping: draining requests")
        sdnotify.stopping()
        if watchdog is not None:
            watchdog.stop()
        server.stop(config.shutdown_timeout)
    finally:
        server.stop(0)   # no-op after the graceful stop; after a failed start, frees the port
        part.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("stopped")
    return 0


def run_hub(config: Config, on_ready: Callable[[HubServer, Services], None] | None = None,
            stop_event: threading.Event | None = None,
            reread: Callable[[], Config] | None = None) -> int:
    """Serve until `stop_event` is set or SIGTERM/SIGINT arrives. Returns the exit code.
    With `reread` (a fresh Config from the same sources), SIGHUP reloads the config."""
    from appliance.api.app import create_app
    from appliance.services import build_services

    services = build_services(config)
    return run_until_stopped(
        config, services, create_app(services), max_upload_bytes=config.max_material_bytes,
        serving="serving", on_ready=on_ready, stop_event=stop_event,
        on_hup=None if reread is None else lambda running: reload_config(running, reread))


@click.command()
@click.option("--host", default=None, help="Address to bind (default from config: 0.0.0.0).")
@click.option("--port", type=int, default=None, help="API port (default from config: 50809).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of the store and token (default from config).")
@click.option("--no-adb", is_flag=True, help="Serve the API and store only; run nothing on phones.")
@click.pass_obj
def serve(lazy_config, host, port, state_dir, no_adb) -> None:
    """Run the hub: the Local API on HOST:PORT, the task engine and the adb server.
    SIGHUP re-reads the config file (log settings change at once)."""
    from appliance.cli import LazyConfig

    overrides = {k: v for k, v in (("host", host), ("port", port), ("state_dir", state_dir))
                 if v is not None}
    if no_adb:
        overrides["adb_enabled"] = False
    config = lazy_config.get(**overrides)
    setup_logging(config)
    try:
        code = run_hub(config, reread=lambda: LazyConfig(lazy_config.path).get(**overrides))
    except ApplianceError as exc:
        raise click.ClickException(exc.message) from None
    raise SystemExit(code)


commands: list[click.Command] = [serve]
