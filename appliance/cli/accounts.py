"""`appliance accounts ...`: the account registry through the running hub's API (list, CSV import
and export). Going through the API keeps one writer and its checks (unique usernames).

CSV columns: username, device, enabled, logged_in, package_name, tags (separated by ';'), email,
password (import only: the hub never gives a password back). Main thread only.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

import click

from appliance.cli.hubclient import HubError, client, echo_json

COLUMNS = ["username", "device", "enabled", "logged_in", "package_name", "tags", "email"]
IMPORT_COLUMNS = [*COLUMNS, "password"]
_TRUE, _FALSE = {"1", "true", "yes", "on", "y"}, {"0", "false", "no", "off", "n"}


def _all_accounts(hub) -> list[dict]:
    out, page = [], 1
    while True:
        data = hub.call("GET", "/account?" + urlencode({"page": page, "page_size": 1000}))
        out += data["accounts"]
        if len(out) >= data["total"] or not data["accounts"]:
            return out
        page += 1


def _row_body(row: dict, line: int) -> dict:
    """One CSV row as an account body; empty cells are left out (the hub's defaults apply)."""
    body: dict[str, Any] = {}
    for key in IMPORT_COLUMNS:
        value = (row.get(key) or "").strip() if key != "password" else (row.get(key) or "")
        if value == "":
            continue
        if key in ("enabled", "logged_in"):
            if value.lower() not in _TRUE | _FALSE:
                raise click.ClickException(f"line {line}: {key} must be true or false, "
                                           f"not {value!r}")
            body[key] = value.lower() in _TRUE
        elif key == "tags":
            body[key] = [t.strip() for t in value.replace("|", ";").split(";") if t.strip()]
        else:
            body[key] = value
    if not body.get("username"):
        raise click.ClickException(f"line {line}: the username cell is empty")
    return body


def _read_csv(path: str) -> str:
    """The text of a CSV file ('-': standard input), UTF-8 with or without a BOM."""
    name = "standard input" if path == "-" else path
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except FileNotFoundError:
        raise click.ClickException(f"no file {path}: give the path of a CSV file "
                                   "(`appliance accounts export FILE` writes one)") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        utf16 = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        raise click.ClickException(
            f"{name} is {'UTF-16' if utf16 else 'not UTF-8'} text: save it as \"CSV UTF-8\" "
            "(in Excel: Save As, CSV UTF-8; in LibreOffice: character set Unicode (UTF-8)) and "
            "import again") from None


@click.group()
def accounts() -> None:
    """The accounts the hub runs tasks for (registry, CSV import and export)."""


@accounts.command("list")
@click.option("--device", help="Only accounts bound to this device.")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@click.pass_context
def list_accounts(ctx, device, as_json) -> None:
    """List accounts (passwords are never shown)."""
    found = _all_accounts(client(ctx))
    if device:
        found = [a for a in found if a.get("device") == device]
    if as_json:
        echo_json(found)
        return
    click.echo(f"{'ID':>5}  {'USERNAME':<24}  {'DEVICE':<21}  {'ON':<3}  {'IN':<3}  TAGS")
    for a in found:
        click.echo(f"{a['id']:>5}  {a['username']:<24}  {a.get('device') or '-':<21}  "
                   f"{'yes' if a.get('enabled') else 'no':<3}  "
                   f"{'yes' if a.get('logged_in') else 'no':<3}  {';'.join(a.get('tags') or [])}")
    click.echo(f"{len(found)} account(s)")


@accounts.command("import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_context
def import_accounts(ctx, path) -> None:
    """Add or update accounts from a CSV file (header row; username required; '-' is stdin).
    Rows naming an existing username update it."""
    reader = csv.DictReader(io.StringIO(_read_csv(path), newline=""))
    try:
        unknown = set(reader.fieldnames or []) - set(IMPORT_COLUMNS)
        if "username" not in (reader.fieldnames or []):
            raise click.ClickException("the CSV needs a header row with a 'username' column")
        rows = [_row_body(row, i) for i, row in enumerate(reader, start=2)]
    except csv.Error as exc:
        raise click.ClickException(f"line {reader.line_num} of {path} is not CSV ({exc}): "
                                   "save the file as CSV and import again") from None
    if unknown:
        click.echo(f"ignored column(s): {', '.join(sorted(unknown))}", err=True)
    hub = client(ctx)
    existing = {a["username"]: a["id"] for a in _all_accounts(hub)}
    created = updated = 0
    failures = []
    for body in rows:
        name = body["username"].strip().lstrip("@")
        try:
            if name in existing:
                hub.call("PATCH", f"/account/{existing[name]}", body)
                updated += 1
            else:
                existing[name] = hub.call("POST", "/account", body)["id"]
                created += 1
        except HubError as exc:
            failures.append(f"{name}: {exc.message}")
    click.echo(f"created {created}, updated {updated} account(s)")
    if failures:
        raise click.ClickException("refused: " + "; ".join(failures))


@accounts.command("export")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@click.pass_context
def export_accounts(ctx, path) -> None:
    """Write every account to a CSV file ('-' is stdout); passwords are not exported."""
    found = _all_accounts(client(ctx))
    if path == "-":
        _write_csv(sys.stdout, found)
        return
    with open(path, "w", newline="", encoding="utf-8") as handle:
        _write_csv(handle, found)
    click.echo(f"exported {len(found)} account(s) to {path}")


def _write_csv(handle: TextIO, found: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for a in found:
        writer.writerow({**a, "device": a.get("device") or "",
                         "enabled": str(bool(a.get("enabled"))).lower(),
                         "logged_in": str(bool(a.get("logged_in"))).lower(),
                         "tags": ";".join(a.get("tags") or [])})


commands = [accounts]
