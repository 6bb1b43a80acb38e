"""`appliance groups ...`: device groups on the running hub, through its API (like `tasks`).

Groups are named here by name (ignoring case), as an operator knows them; the hub's API finds
the id. `appliance tasks create` and schedules can then target a whole group. Main thread only.
"""

from __future__ import annotations

from urllib.parse import urlencode

import click

from appliance.cli.hubclient import HubClient, client, echo_json


def _find(hub: HubClient, name: str) -> dict:
    found = hub.call("GET", "/group?" + urlencode({"name": name}))["groups"]
    if not found:
        raise click.ClickException(f"there is no group named {name!r}; see `appliance groups "
                                   "list` for the groups")
    return found[0]


def _summary(group: dict) -> str:
    counts = group["counts"]
    return (f"group {group['name']!r}: {counts['devices']} phone(s), {counts['pending']} "
            f"pending and {counts['running']} running task(s)")


def _print_group(group: dict) -> None:
    for key in ("id", "name", "created_at", "updated_at"):
        click.echo(f"{key + ':':<12}{group[key]}")
    counts = group["counts"]
    click.echo(f"{'tasks:':<12}{counts['pending']} pending, {counts['running']} running")
    click.echo(f"{'phones:':<12}{counts['devices']}")
    for serial in group["serials"]:
        click.echo(f"  {serial}")


@click.group()
def groups() -> None:
    """Device groups: named sets of phones that tasks and schedules can target."""


@groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def list_groups(ctx, as_json) -> None:
    """List the groups with their phone and task counts."""
    data = client(ctx).call("GET", "/group")
    if as_json:
        echo_json(data["groups"])
        return
    click.echo(f"{'ID':>5}  {'NAME':<24}  {'PHONES':>6}  {'PENDING':>7}  {'RUNNING':>7}")
    for group in data["groups"]:
        counts = group["counts"]
        click.echo(f"{group['id']:>5}  {group['name']:<24}  {counts['devices']:>6}  "
                   f"{counts['pending']:>7}  {counts['running']:>7}")
    click.echo(f"{data['total']} group(s)")


@groups.command("create")
@click.argument("name")
@click.argument("serials", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the new group as JSON.")
@click.pass_context
def create_group(ctx, name, serials, as_json) -> None:
    """Create group NAME, with the phones SERIALS if given.

    Names are unique, ignoring case."""
    group = client(ctx).call("POST", "/group", {"name": name, "serials": list(serials)})
    echo_json(group) if as_json else click.echo(f"created {_summary(group)}")


@groups.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the group as JSON.")
@click.pass_context
def show_group(ctx, name, as_json) -> None:
    """Show group NAME and its phones."""
    group = _find(client(ctx), name)
    echo_json(group) if as_json else _print_group(group)


@groups.command("add")
@click.argument("name")
@click.argument("serials", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the group as JSON.")
@click.pass_context
def add_to_group(ctx, name, serials, as_json) -> None:
    """Add the phones SERIALS to group NAME.

    A phone may be in several groups."""
    hub = client(ctx)
    group = hub.call("POST", f"/group/{_find(hub, name)['id']}/add", {"serials": list(serials)})
    if as_json:
        echo_json(group)
        return
    click.echo(f"added {len(group['added'])}; {_summary(group)}")
    already = [s for s in dict.fromkeys(serials) if s not in group["added"]]
    if already:
        click.echo(f"already in the group: {' '.join(already)}")


@groups.command("remove")
@click.argument("name")
@click.argument("serials", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the group as JSON.")
@click.pass_context
def remove_from_group(ctx, name, serials, as_json) -> None:
    """Remove the phones SERIALS from group NAME.

    Their tasks are kept."""
    hub = client(ctx)
    group = hub.call("POST", f"/group/{_find(hub, name)['id']}/remove",
                     {"serials": list(serials)})
    if as_json:
        echo_json(group)
        return
    click.echo(f"removed {len(group['removed'])}; {_summary(group)}")
    absent = [s for s in dict.fromkeys(serials) if s not in group["removed"]]
    if absent:
        click.echo(f"not in the group: {' '.join(absent)}")


@groups.command("rename")
@click.argument("name")
@click.argument("new_name")
@click.option("--json", "as_json", is_flag=True, help="Print the group as JSON.")
@click.pass_context
def rename_group(ctx, name, new_name, as_json) -> None:
    """Rename group NAME to NEW_NAME."""
    hub = client(ctx)
    found = _find(hub, name)
    group = hub.call("PATCH", f"/group/{found['id']}", {"name": new_name})
    echo_json(group) if as_json else click.echo(
        f"renamed group {found['name']!r} to {group['name']!r}")


@groups.command("delete")
@click.argument("name")
@click.pass_context
def delete_group(ctx, name) -> None:
    """Delete group NAME (tasks are kept).

    Its phones and their tasks are left as they are."""
    hub = client(ctx)
    found = _find(hub, name)
    hub.call("DELETE", f"/group/{found['id']}")
    click.echo(f"deleted group {found['name']!r} ({found['counts']['devices']} phone(s); "
               "their tasks are kept)")


commands = [groups]
