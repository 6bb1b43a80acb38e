"""`appliance materials ...`: the material library on the running hub, through its API.

Uploads send each file as the raw body of POST /material (the hub checks its type by content);
the other commands list, show, tag, edit and delete materials by id. Main thread only.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import click

from appliance.cli.hubclient import (
    OPERATOR,
    HubClient,
    HubError,
    _decode,
    _not_an_envelope,
    client,
    echo_json,
)


def _upload(hub: HubClient, path: Path, params: dict) -> dict:
    query = urlencode({"name": path.name, **{k: v for k, v in params.items() if v is not None}})
    headers = {**hub._headers(), "Content-Type": "application/octet-stream"}
    with path.open("rb") as body:
        headers["Content-Length"] = str(path.stat().st_size)
        request = urllib.request.Request(f"{hub.url}{OPERATOR}/material?{query}", data=body,
                                         method="POST", headers=headers)
        status, raw = hub._send(request, max(hub.timeout, 120.0))
    answer = _decode(raw)
    if not isinstance(answer, dict) or "code" not in answer:
        raise _not_an_envelope(hub.url, status)
    if answer["code"] != 0:
        raise HubError(f"{path.name}: {answer.get('message') or 'error'}", answer["code"],
                       answer.get("data"))
    return answer["data"]


def _line(m: dict) -> str:
    state = "used" if m["used"] else ("posting" if m.get("reserved") else "unused")
    owner = f"@{m['username']}" if m.get("username") else "-"
    return (f"{m['id']:>5}  {m['sort']:>5}  {m['kind']:<5}  {state:<7}  {owner:<16}  "
            f"{','.join(m['tags']) or '-':<20}  {m['name']}")


def _print(m: dict) -> None:
    for key in ("id", "name", "kind", "format", "size", "sort", "tags", "caption", "username",
                "used", "used_at", "used_by", "reserved", "file", "created_at", "updated_at"):
        value = m.get(key)
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key + ':':<12}{'-' if value is None else value}")


@click.group()
def materials() -> None:
    """The material library: videos and pictures posts pick from (TikMatrix's default source)."""


@materials.command("upload")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--tags", help="Comma-separated tags (\"trending, dance\").")
@click.option("--caption", help="Caption posted with it instead of the task's captions.")
@click.option("--username", help="Bind it to this account (its posts pick it first).")
@click.option("--sort", type=click.IntRange(0, 999999999),
              help="Posting order, lowest first (else a sort_N_ file name prefix, else 0).")
@click.option("--json", "as_json", is_flag=True, help="Print the new materials as JSON.")
@click.pass_context
def upload(ctx, files, tags, caption, username, sort, as_json) -> None:
    """Upload FILES (MP4, JPEG or PNG) to the material library."""
    hub = client(ctx)
    done = [_upload(hub, path, {"tags": tags, "caption": caption, "username": username,
                                "sort": sort}) for path in files]
    if as_json:
        echo_json(done)
        return
    for m in done:
        click.echo(f"uploaded {m['name']} as material {m['id']} ({m['kind']}, {m['size']} bytes)")


@materials.command("list")
@click.option("--tags", help="Only materials with any of these tags (comma-separated).")
@click.option("--username", help="Only materials bound to this account.")
@click.option("--used/--unused", default=None, help="Only used or only unused materials.")
@click.option("--kind", type=click.Choice(["video", "image"]), help="Only videos or pictures.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 100), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def list_materials(ctx, tags, username, used, kind, page, page_size, as_json) -> None:
    """List materials in posting order (sort number, then id)."""
    query = {"tags": tags, "username": username, "kind": kind, "page": page,
             "page_size": page_size, "used": None if used is None else str(used).lower()}
    data = client(ctx).call("GET", "/material?" + urlencode(
        {k: v for k, v in query.items() if v is not None}))
    if as_json:
        echo_json(data)
        return
    click.echo(f"{'ID':>5}  {'SORT':>5}  {'KIND':<5}  {'STATE':<7}  {'ACCOUNT':<16}  "
               f"{'TAGS':<20}  NAME")
    for m in data["materials"]:
        click.echo(_line(m))
    click.echo(f"{data['total']} material(s)")


@materials.command("show")
@click.argument("material_id", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print the material as JSON.")
@click.pass_context
def show(ctx, material_id, as_json) -> None:
    """Show material MATERIAL_ID."""
    m = client(ctx).call("GET", f"/material/{material_id}")
    echo_json(m) if as_json else _print(m)


@materials.command("tag")
@click.argument("material_id", type=click.IntRange(1))
@click.argument("tags", nargs=-1)
@click.pass_context
def tag(ctx, material_id, tags) -> None:
    """Replace the tags of MATERIAL_ID with TAGS (none: no tags)."""
    m = client(ctx).call("PATCH", f"/material/{material_id}",
                         {"tags": [t for item in tags for t in item.split(",")]})
    click.echo(f"material {m['id']} tags: {', '.join(m['tags']) or '-'}")


@materials.command("edit")
@click.argument("material_id", type=click.IntRange(1))
@click.option("--caption", help="Caption override (\"\": none).")
@click.option("--username", help="Bound account (\"\": none).")
@click.option("--sort", type=click.IntRange(0, 999999999), help="Posting order, lowest first.")
@click.option("--unused", is_flag=True, help="Let the library pick it again.")
@click.option("--json", "as_json", is_flag=True, help="Print the material as JSON.")
@click.pass_context
def edit(ctx, material_id, caption, username, sort, unused, as_json) -> None:
    """Change the caption override, bound account or sort number of MATERIAL_ID."""
    body = {k: v for k, v in (("caption", caption), ("username", username), ("sort", sort))
            if v is not None}
    if unused:
        body["used"] = False
    if not body:
        raise click.UsageError("give --caption, --username, --sort or --unused")
    m = client(ctx).call("PATCH", f"/material/{material_id}", body)
    echo_json(m) if as_json else _print(m)


@materials.command("delete")
@click.argument("material_ids", nargs=-1, required=True, type=click.IntRange(1))
@click.pass_context
def delete(ctx, material_ids) -> None:
    """Delete the materials MATERIAL_IDS and their files."""
    hub = client(ctx)
    for material_id in material_ids:
        hub.call("DELETE", f"/material/{quote(str(material_id))}")
        click.echo(f"deleted material {material_id}")


commands = [materials]
