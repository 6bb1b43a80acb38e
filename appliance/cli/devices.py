"""`appliance devices ...`: the running hub's phones, through its API (like `tasks`).

`devices` prints a table (or --json); `connect HOST:PORT` attaches a TCP phone; `screenshot SERIAL
-o file.png` saves the screen. Main thread only.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import click

from appliance.cli.hubclient import HubDown, HubError, _decode, client, echo_json

STATE_CHOICES = ("device", "offline", "unauthorized", "absent", "unknown")


def _serial_path(serial: str) -> str:
    return "/device/" + urllib.parse.quote(serial, safe=":")


def _row(device: dict) -> str:
    health = device.get("health") or {}
    battery = health.get("battery_level")
    temp = health.get("temperature")
    flags = ",".join(f for f in ("hot" if device.get("hot") else "",
                                 "quarantined" if device.get("quarantined") else "") if f)
    return (f"{device['serial']:<22}  {device['state']:<12}  {health.get('model') or '-':<18}  "
            f"{health.get('android_version') or '-':<7}  "
            f"{'-' if battery is None else str(battery) + '%':>4}  "
            f"{'-' if temp is None else f'{temp:.1f}C':>6}  {flags or '-'}")


@click.group(invoke_without_command=True)
@click.option("--state", type=click.Choice(STATE_CHOICES), default=None, help="Only this state.")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's JSON instead of a table.")
@click.pass_context
def devices(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """The phones the running hub knows: state, model, Android version, battery, temperature."""
    if ctx.invoked_subcommand is not None:
        return
    query = f"?state={state}" if state else ""
    data = client(ctx).call("GET", "/device" + query)
    if as_json:
        echo_json(data)
        return
    if not data["devices"]:
        click.echo("No phones yet: plug one in, or `appliance devices connect HOST:PORT`.")
        return
    click.echo(f"{'SERIAL':<22}  {'STATE':<12}  {'MODEL':<18}  {'ANDROID':<7}  {'BATT':>4}  "
               f"{'TEMP':>6}  FLAGS")
    for device in data["devices"]:
        click.echo(_row(device))


@devices.command()
@click.argument("address")
@click.pass_context
def connect(ctx: click.Context, address: str) -> None:
    """Connect a phone with adb over TCP (HOST:PORT); the hub reconnects it after restarts."""
    device = client(ctx, timeout=30).call("POST", "/device/connect", {"address": address})
    click.echo(f"{device['serial']}: {device.get('state', 'unknown')}")


@devices.command()
@click.argument("serial")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
              required=True, help="PNG file to write.")
@click.pass_context
def screenshot(ctx: click.Context, serial: str, output: str) -> None:
    """Save the screen of phone SERIAL as a PNG file."""
    hub = client(ctx, timeout=60)
    request = urllib.request.Request(hub.url + "/api/v1" + _serial_path(serial) + "/screenshot",
                                     headers=hub._headers())
    try:
        with urllib.request.urlopen(request, timeout=hub.timeout) as response:
            data = response.read()
    except urllib.error.HTTPError as exc:
        answer = _decode(exc.read()) or {}
        raise HubError(answer.get("message") or f"HTTP {exc.code}", answer.get("code", 0)) from None
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        raise HubDown(f"no hub answers at {hub.url}: start it with `appliance serve` "
                      f"({getattr(exc, 'reason', exc)})") from None
    Path(output).write_bytes(data)
    click.echo(f"{output}: {len(data)} bytes")


commands = [devices]
