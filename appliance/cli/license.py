"""`appliance license show|set`: the hub's plan (docs/API.md, Plans), kept in the state file `plan`.

`set` writes the file that a running hub re-reads on every request, so no restart is needed;
`show` asks the running hub, or works the plan out the same way when no hub answers.
Main thread only.
"""

from __future__ import annotations

import click

from appliance.cli.hubclient import HubError, as_state_owner, client, echo_json
from appliance.config import PLANS
from appliance.errors import ConfigError


def effective_plan(ctx: click.Context) -> tuple[dict, str]:
    """(the plan as GET /license/check describes it, where it came from)."""
    hub = client(ctx, timeout=5)
    if hub.health() is not None:
        try:
            return hub.call("GET", "/license/check"), f"the running hub at {hub.url}"
        except HubError as exc:
            if exc.code == 40301 and isinstance(exc.data, dict):
                return exc.data, f"the running hub at {hub.url}"
            raise
    from appliance.services.license import LicenseService

    return LicenseService(ctx.obj.get()).check(), "config and state files (no hub answers)"


@click.group()
def license() -> None:
    """Show or set the license plan (Starter, Pro, Team, Business)."""


@license.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """Show the plan in effect."""
    plan, source = effective_plan(ctx)
    if as_json:
        echo_json(plan)
        return
    click.echo(f"{plan['plan_name']}: {plan['message']}")
    click.echo(f"(from {source})")


@license.command("set")
@click.argument("plan", type=click.Choice(PLANS, case_sensitive=False))
@click.option("--json", "as_json", is_flag=True, help="Print the new plan as JSON.")
@click.pass_context
def set_(ctx: click.Context, plan: str, as_json: bool) -> None:
    """Set the plan; a running hub applies it at once, and it survives restarts."""
    from appliance.services.license import set_plan

    state_dir = ctx.obj.get().state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        with as_state_owner(state_dir):
            chosen = set_plan(state_dir, plan)
    except ConfigError as exc:
        raise click.ClickException(exc.message) from None
    except PermissionError as exc:
        raise click.ClickException(f"cannot write {state_dir}: {exc.strerror}; run as the "
                                   "service user or with sudo") from None
    if as_json:
        echo_json(chosen.describe())
    else:
        click.echo(f"plan set to {chosen.name}: {chosen.describe()['message']}")


commands = [license]
