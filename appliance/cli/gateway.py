"""`appliance gateway`: the fleet's one Local API over every hub (issue 17), in the foreground.

Runs through `appliance serve`'s `run_until_stopped`: waitress through HubServer, signal
handlers that only set an event, a graceful stop on SIGTERM/Ctrl-C (drain requests, clean broker
DISCONNECT), errors as one line. Main thread only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from appliance.cli.serve import run_until_stopped
from appliance.config import Config
from appliance.errors import ApplianceError
from appliance.logs import setup_logging

if TYPE_CHECKING:
    from appliance.api.server import HubServer
    from appliance.services.gateway import Gateway


def run_gateway(config: Config, on_ready: Callable[[HubServer, Gateway], None] | None = None,
                stop_event: threading.Event | None = None) -> int:
    """Serve until `stop_event` is set or SIGTERM/SIGINT arrives. Returns the exit code."""
    from appliance.api.gateway import create_gateway_app
    from appliance.services.gateway import build_gateway

    gateway = build_gateway(config)
    return run_until_stopped(
        config, gateway, create_gateway_app(gateway), max_upload_bytes=config.max_body_bytes,
        serving="gateway serving", detail=f"; broker {config.fleet_broker}",
        on_ready=on_ready, stop_event=stop_event)


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
