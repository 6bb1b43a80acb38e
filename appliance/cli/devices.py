"""`appliance devices ...`: the running hub's phones, through its API (like `tasks`).

`devices` prints a table (or --json) with why a phone gets no tasks; `show SERIAL` one phone in
full (app, keyboard, reason); `connect HOST:PORT` attaches a TCP phone; `screenshot SERIAL -o
file.png` saves the screen and `dump SERIAL -o screen.xml` its UI hierarchy. Main thread only.
"""

from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

import click

from appliance.cli.hubclient import client, echo_json

STATE_CHOICES = ("device", "stalled", "offline", "unauthorized", "absent", "unknown")


def serial_path(serial: str) -> str:
    return "/device/" + urllib.parse.quote(serial, safe=":")


def _app(health: dict) -> str:
    """The app column: its version, "missing", or "-" (not checked yet / unknown)."""
    app = health.get("app") or {}
    if app.get("installed") is False:
        return "missing"
    return app.get("version") or ("yes" if app.get("installed") else "-")


def _flags(device: dict) -> str:
    health = device.get("health") or {}
    flags = ["held" if device.get("held") else "",
             "hot" if device.get("hot") else "",
             "quarantined" if device.get("quarantined") else "",
             "no-app" if (health.get("app") or {}).get("installed") is False else "",
             "no-keyboard" if health.get("keyboard_installed") is False else ""]
    return ",".join(f for f in flags if f) or "-"


def _row(device: dict) -> str:
    health = device.get("health") or {}
    battery = health.get("battery_level")
    temp = health.get("temperature")
    return (f"{device['serial']:<22}  {device['state']:<12}  {health.get('model') or '-':<18}  "
            f"{health.get('android_version') or '-':<7}  "
            f"{'-' if battery is None else str(battery) + '%':>4}  "
            f"{'-' if temp is None else f'{temp:.1f}C':>6}  {_app(health):<10}  "
            f"{'yes' if device.get('usable') else 'NO':<6}  {_flags(device)}")


@click.group(invoke_without_command=True)
@click.option("--state", type=click.Choice(STATE_CHOICES), default=None, help="Only this state.")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's JSON instead of a table.")
@click.pass_context
def devices(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """The phones the running hub knows: state, model, Android version, battery, temperature,
    TikTok version, and why a phone gets no tasks (USABLE NO)."""
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
               f"{'TEMP':>6}  {'APP':<10}  {'USABLE':<6}  FLAGS")
    for device in data["devices"]:
        click.echo(_row(device))
    unusable = [d for d in data["devices"] if not d.get("usable")]
    if unusable:
        click.echo("")
        for device in unusable:
            click.echo(f"{device['serial']} gets no tasks: "
                       f"{device.get('unusable_reason') or 'not usable'}")


def _checked(value, yes: str) -> str:
    return {True: yes, False: "NOT INSTALLED", None: "not checked yet"}[value]


@devices.command()
@click.argument("serial")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's JSON.")
@click.pass_context
def show(ctx: click.Context, serial: str, as_json: bool) -> None:
    """One phone in full: state, health, TikTok app and ADB keyboard, and why it gets no tasks."""
    device = client(ctx).call("GET", serial_path(serial))
    if as_json:
        echo_json(device)
        return
    health = device.get("health") or {}
    app = health.get("app") or {}
    battery, temp = health.get("battery_level"), health.get("temperature")
    lines = [
        ("serial", device["serial"]),
        ("state", f"{device['state']} (adb: {device.get('adb_state', '?')}, "
                  f"{device.get('transport', '?')})"
                  + (f", since {device['stalled_since']}" if device.get("stalled_since") else "")),
        ("usable", "yes" if device.get("usable") else
         f"NO: {device.get('unusable_reason') or 'not usable'}"),
        ("held", (device.get("held") or {}).get("reason") or "no"),
        ("model", " ".join(str(v) for v in (health.get("brand"), health.get("model")) if v) or "-"),
        ("android", f"{health.get('android_version') or '-'} (sdk {health.get('sdk') or '-'})"),
        ("screen", health.get("screen_size") or "-"),
        ("battery", ("-" if battery is None else f"{battery}%")
         + ("" if temp is None else f", {temp:.1f} C") + (", charging" if health.get("charging") else "")),
        ("app", f"{app.get('package') or '-'}: "
                + _checked(app.get("installed"), f"installed, version {app.get('version') or '?'}")),
        ("adb keyboard", _checked(health.get("keyboard_installed"), "installed")),
        ("last seen", device.get("last_seen") or "-"),
    ]
    for name, value in lines:
        click.echo(f"{name + ':':<14} {value}")


@devices.command()
@click.argument("address")
@click.pass_context
def connect(ctx: click.Context, address: str) -> None:
    """Connect a phone with adb over TCP (HOST:PORT); the hub reconnects it after restarts."""
    device = client(ctx, timeout=30).call("POST", "/device/connect", {"address": address})
    click.echo(f"{device['serial']}: {device.get('state', 'unknown')}")


def check_output(output: str) -> None:
    """Refuse an output path that cannot be written, before asking the phone for anything."""
    if output == "-":
        return
    path = Path(output)
    if path.is_dir():
        raise click.ClickException(f"{output} is a folder: give a file name, e.g. {path / 'screen'}")
    if not path.parent.is_dir():
        raise click.ClickException(f"the folder {path.parent} does not exist: create it "
                                   f"(mkdir -p {path.parent}) or write somewhere else")


def write_output(output: str, data: bytes) -> None:
    """Write `data` to `output` ('-': standard output) and say what was written."""
    if output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(output).write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"could not write {output}: {exc.strerror}") from None
    click.echo(f"{output}: {len(data)} bytes")


@devices.command()
@click.argument("serial")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="PNG file to write ('-': standard output).")
@click.pass_context
def screenshot(ctx: click.Context, serial: str, output: str) -> None:
    """Save the screen of phone SERIAL as a PNG file."""
    check_output(output)
    write_output(output, client(ctx, timeout=60).get_bytes(serial_path(serial) + "/screenshot"))


def fetch_hierarchy(ctx: click.Context, serial: str) -> bytes:
    """The phone's UI dump from the hub, which tries up to 4 times (one adb deadline each)
    while a video keeps the screen busy: wait for all of them."""
    timeout = max(120.0, 4 * ctx.obj.get().adb_timeout + 15)
    return client(ctx, timeout=timeout).get_bytes(serial_path(serial) + "/hierarchy")


@devices.command()
@click.argument("serial")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True,
              help="XML file to write ('-': standard output).")
@click.pass_context
def dump(ctx: click.Context, serial: str, output: str) -> None:
    """Save the live UI of phone SERIAL (uiautomator XML) to a file; read it with `appliance ui
    locate FILE`. It never taps the phone: pause a playing video first."""
    check_output(output)
    write_output(output, fetch_hierarchy(ctx, serial))


commands = [devices]
