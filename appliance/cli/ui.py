"""`appliance ui ...`: operator tools for the day the app updates. `ui locate` reads a UI dump (a
file, or the live screen of a phone through the running hub) and prints the screen's name and
where each control is, so a changed screen is seen before tasks fail. Main thread only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from appliance.cli.devices import fetch_hierarchy
from appliance.errors import ApplianceError


@click.group()
def ui() -> None:
    """Read the phones' screens: which screen a UI dump shows and where its controls are."""


def _read(file: str) -> str:
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except FileNotFoundError:
        raise click.ClickException(f"no file {file}: save a screen with "
                                   "`appliance devices dump SERIAL -o screen.xml`") from None
    except IsADirectoryError:
        raise click.ClickException(f"{file} is a folder: give the dump file") from None
    except OSError as exc:
        raise click.ClickException(f"could not read {file}: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not a uiautomator dump (not UTF-8 text): give a "
                                   "file saved by `appliance devices dump SERIAL -o screen.xml`") from None


def _box(box) -> str:
    return "-" if box is None else "[" + ",".join(str(int(v)) for v in box) + "]"


@ui.command()
@click.argument("file", required=False)
@click.option("--serial", default=None, help="Read the live screen of this phone from the running "
                                             "hub instead of a FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def locate(ctx: click.Context, file: str | None, serial: str | None, as_json: bool) -> None:
    """Name the screen in a UI dump FILE ('-': standard input) or on phone --serial, and where
    each control is ([x1,y1,x2,y2], or - when it is not on that screen)."""
    # Imported here: the services package pulls in the store, and `--help` should stay quick.
    from appliance.services import ui as ui_service

    if serial is not None and file is None:
        name = f"the screen of {serial}"
        xml = fetch_hierarchy(ctx, serial).decode("utf-8", "replace")
    elif file is not None and serial is None:
        name = "standard input" if file == "-" else file
        xml = _read(file)
    else:
        raise click.UsageError("give either a dump FILE or --serial SERIAL (one of them)")
    try:
        ui_service.check_dump(xml, name)
        result = ui_service.locate_screen(xml)
    except ApplianceError as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"screen: {result.get('screen') or 'unknown'}")
    controls = result.get("controls") or {}
    width = max((len(c) for c in controls), default=0)
    for control, box in controls.items():
        click.echo(f"  {control:<{width}}  {_box(box)}")


commands = [ui]
