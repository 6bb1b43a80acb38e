"""`appliance demo`: the real hub plus N simulated phones, so a newcomer sees it work without a phone.

The phones (appliance.sim) listen on free loopback ports and are connected through the hub's
own adb server, exactly as TCP phones are in production (app builds 1-3, a real phone's dump and
upload times); a few sample tasks run on them. The main thread runs the hub (`run_hub`); a timer
thread ends it for `--duration`.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from appliance.cli.hubclient import HubClient, HubError
from appliance.errors import ApplianceError

if TYPE_CHECKING:  # imported where used: `--help` should not load the services or the simulator
    from appliance.config import Config
    from appliance.services import Services
    from appliance.sim import SimFarm

SAMPLE_SCRIPT = "account_warmup"
SAMPLE_CONFIG = {"task_duration": 20, "min_duration": 2, "max_duration": 5}
DEMO_BUILDS = [1, 2, 3]          # the phones are spread over three app builds (round robin)
# A real phone's figures (SimPhone's defaults: dumps 1-3 s, uploads 20-40 s). Tests may pass
# the hidden --fast-phones to shorten them; the demo itself never does.
FAST_PHONE = {"dump_seconds": (0.0, 0.05), "upload_seconds": (0.5, 1.0), "switch_seconds": 0.0}


def demo_farm(phones: int, fast: bool = False) -> SimFarm:
    from appliance.sim import SimFarm

    return SimFarm(count=phones, seed=1, app_build=DEMO_BUILDS, locale="en",
                   phone_settings=FAST_PHONE if fast else {})



def connect_phones(services: Services, addresses: list[str], timeout: float = 30.0) -> list[str]:
    """Connect each address through the hub's own devices service (as POST /device/connect
    does: remembered and reconnected after an adb restart); wait until each is `device`."""
    if services.devices is None:
        raise click.ClickException("this hub has no devices layer wired: the demo needs adb "
                                   "(is adb_enabled false?)")
    serials = [services.devices.connect(address)["serial"] for address in addresses]
    for serial in serials:
        if not services.devices.wait_online(serial, timeout):
            raise click.ClickException(f"simulated phone {serial} did not come online in {timeout:.0f} s")
    return serials


def create_sample_accounts(hub: HubClient, farm: SimFarm, serials: list[str]) -> list[str]:
    """Register the accounts each simulated phone's app is logged into, bound to that phone."""
    names = []
    for phone, serial in zip(farm.phones, serials, strict=True):
        for username in list(phone.ui.app.accounts)[:2]:
            try:
                hub.call("POST", "/account", {"username": username, "device": serial,
                                              "logged_in": True})
                names.append(username)
            except HubError:
                pass  # a name taken on an earlier run (--state-dir): the demo goes on
    return names


def create_sample_tasks(hub: HubClient, serials: list[str]) -> list[int]:
    data = hub.call("POST", "/task", {"serials": serials, "script_name": SAMPLE_SCRIPT,
                                      "script_config": SAMPLE_CONFIG,
                                      "min_interval": 0, "max_interval": 2})
    return data["task_ids"]


def what_to_try(url: str, serials: list[str], config: Config, accounts: list[str]) -> str:
    api = f"{url}/api/v1"
    first = serials[0] if serials else "SERIAL"
    return "\n".join([
        "",
        f"appliance demo: hub at {api}/ with {len(serials)} simulated phone(s)",
        f"  state: {config.state_dir}   adb server: 127.0.0.1:{config.adb_port}",
        "",
        "Try:",
        f"  curl -s {url}/healthz",
        f"  curl -s {api}/license/check",
        f"  curl -s {api}/task/stats",
        f"  curl -s {api}/device",
        f"  curl -s {api}/account"
        + (f"        # sample accounts: {', '.join(accounts)}" if accounts else ""),
        f"  curl -s '{api}/task?page_size=5'",
        f"  curl -s -X POST {api}/task -H 'Content-Type: application/json' \\",
        f"       -d '{{\"serials\": [\"{first}\"], \"script_name\": \"{SAMPLE_SCRIPT}\", "
        f"\"script_config\": {{\"task_duration\": 10}}}}'",
        f"  curl -s {api}/openapi.json | head -c 300",
        f"  APPLIANCE_PORT={config.port} APPLIANCE_STATE_DIR={config.state_dir} appliance status",
        f"  APPLIANCE_PORT={config.port} APPLIANCE_STATE_DIR={config.state_dir} appliance tasks list",
        "",
        "Ctrl-C stops the demo (the hub drains requests, stops tasks and closes the store).",
        "",
    ])


@click.command()
@click.option("--phones", type=click.IntRange(1, 50), default=5, show_default=True,
              help="How many simulated phones to start.")
@click.option("--port", type=click.IntRange(0, 65535), default=50809, show_default=True,
              help="API port (0: any free port).")
@click.option("--state-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of the demo's store (default: a new temporary folder).")
@click.option("--fast-phones", is_flag=True, hidden=True,
              help="Simulated phones answer at once (for tests; a real phone is slower).")
@click.option("--duration", type=click.FloatRange(0), default=None,
              help="Stop by itself after this many seconds (for CI).")
@click.pass_obj
def demo(lazy_config, phones: int, port: int, state_dir: str | None, duration: float | None,
         fast_phones: bool) -> None:
    """Run the hub with simulated phones and sample tasks; print what to try."""
    from appliance.cli.serve import run_hub
    from appliance.logs import setup_logging
    from appliance.services.devices import free_adb_port

    state = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="appliance-demo-"))
    # Its own adb server port, so the demo never fights an adb server already on 5037.
    config = lazy_config.get(host="127.0.0.1", port=port, state_dir=str(state),
                             adb_enabled=True, adb_port=free_adb_port(), plan="Pro")
    setup_logging(config.replace(log_level="warning"))   # info lines would bury what it prints
    stop = threading.Event()
    failed: list[str] = []
    farm = demo_farm(phones, fast_phones)
    farm.start()
    timer = None
    if duration is not None:
        timer = threading.Timer(duration, stop.set)
        timer.daemon = True

    def on_ready(server, services) -> None:
        url = f"http://127.0.0.1:{server.port}"
        hub = HubClient(config.replace(port=server.port), timeout=30)
        try:
            serials = connect_phones(services, farm.addresses())
            accounts = create_sample_accounts(hub, farm, serials)
            ids = create_sample_tasks(hub, serials)
        except (ApplianceError, click.ClickException) as exc:
            failed.append(exc.message)
            stop.set()
            return
        click.echo(what_to_try(url, serials, config.replace(port=server.port), accounts))
        click.echo(f"sample tasks {', '.join(map(str, ids))} are running ({SAMPLE_SCRIPT})")
        if timer is not None:
            timer.start()

    started = time.monotonic()
    try:
        code = run_hub(config, on_ready=on_ready, stop_event=stop)
    except ApplianceError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if timer is not None:
            timer.cancel()
        farm.stop()
    if failed:
        raise click.ClickException(f"demo setup failed: {failed[0]}")
    click.echo(f"appliance demo: stopped after {time.monotonic() - started:.1f} s", err=True)
    raise SystemExit(code)


commands = [demo]
