"""`appliance token show|rotate`: the Local API token that callers off loopback must send.

The token is the state file `api-token` (0600); a running hub re-reads it when it changes, so
rotating takes effect at once and the old token stops working.
Main thread only.
"""

from __future__ import annotations

import click

from appliance.cli.hubclient import as_state_owner, echo_json


def _run(ctx: click.Context, action_name: str) -> tuple[str, str]:
    from appliance.services import statefiles  # not at import: keeps `appliance --help` quick

    action = getattr(statefiles, action_name)
    state_dir = ctx.obj.get().state_dir
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with as_state_owner(state_dir):
            return action(state_dir), str(state_dir / statefiles.TOKEN_FILE)
    except PermissionError as exc:
        raise click.ClickException(f"cannot use {state_dir / statefiles.TOKEN_FILE}: {exc.strerror}; run as "
                                   "the service user or with sudo") from None


def _print(token: str, path: str, as_json: bool, rotated: bool) -> None:
    if as_json:
        echo_json({"token": token, "file": path, "rotated": rotated})
        return
    click.echo(token)
    click.echo(f"(send it as 'Authorization: Bearer <token>' from other machines; kept in {path})",
               err=True)


@click.group()
def token() -> None:
    """Show or rotate the API token for callers off loopback."""


@token.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the token as JSON.")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Print the token (created on first use)."""
    value, path = _run(ctx, "ensure_token")
    _print(value, path, as_json, rotated=False)


@token.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print the new token as JSON.")
@click.pass_context
def rotate(ctx: click.Context, as_json: bool) -> None:
    """Replace the token; the old one stops working at once."""
    value, path = _run(ctx, "rotate_token")
    _print(value, path, as_json, rotated=True)


commands = [token]
