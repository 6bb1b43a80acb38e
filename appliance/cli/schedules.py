"""`appliance schedules ...`: recurring schedules on the running hub, through its API (like
`tasks`): at set times on set weekdays, tasks for serials, device groups or accounts.

Schedules are named here by id (`appliance schedules list` shows them). Main thread only.
"""

from __future__ import annotations

from typing import Any

import click

from appliance.cli.hubclient import client, echo_json
from appliance.cli.tasks import _script_config


def _items(values: tuple[str, ...]) -> list[str]:
    """Repeated options, each of which may also hold a comma-separated list."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _targets(schedule: dict) -> str:
    kind, values = next(iter(schedule["targets"].items()))
    return f"{kind} {', '.join(values)}"


def _when(schedule: dict) -> str:
    days = ",".join(schedule["weekdays"]) or "every day"
    return f"{days} at {','.join(schedule['times'])}"


def _print_schedule(schedule: dict) -> None:
    rows = [("id", schedule["id"]), ("name", schedule["name"]),
            ("enabled", "yes" if schedule["enabled"] else "no"),
            ("when", f"{_when(schedule)} ({schedule['timezone']})"),
            ("targets", _targets(schedule)), ("script_name", schedule["script_name"]),
            ("last_run_at", schedule["last_run_at"] or "-"),
            ("last_tasks", schedule["last_task_count"]),
            ("last_error", schedule["last_error"] or "-")]
    for key, value in rows:
        click.echo(f"{key + ':':<14}{value}")
    click.echo(f"{'next runs:':<14}{', '.join(schedule['next_run_times']) or '-'}")


@click.group()
def schedules() -> None:
    """Recurring schedules: tasks at set times (hub time zone) on set weekdays."""


@schedules.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def list_schedules(ctx, as_json) -> None:
    """List the schedules with their next run."""
    data = client(ctx).call("GET", "/schedule")
    if as_json:
        echo_json(data["schedules"])
        return
    click.echo(f"{'ID':>4}  {'ON':<3}  {'NAME':<20}  {'WHEN':<28}  {'SCRIPT':<16}  NEXT RUN")
    for s in data["schedules"]:
        click.echo(f"{s['id']:>4}  {'yes' if s['enabled'] else 'no':<3}  {s['name']:<20}  "
                   f"{_when(s):<28}  {s['script_name']:<16}  "
                   f"{(s['next_run_times'] or ['-'])[0]}")
    click.echo(f"{data['total']} schedule(s)")


@schedules.command("show")
@click.argument("schedule_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def show_schedule(ctx, schedule_id, as_json) -> None:
    """Show one schedule, its last firing and its next runs."""
    schedule = client(ctx).call("GET", f"/schedule/{schedule_id}")
    echo_json(schedule) if as_json else _print_schedule(schedule)


@schedules.command("add")
@click.option("--name", required=True, help="What the schedule is for.")
@click.option("--time", "times", multiple=True, required=True,
              help="HH:MM, 24 h, hub time zone (repeatable, or comma-separated).")
@click.option("--weekday", "weekdays", multiple=True,
              help="mon..sun or 0 (Monday)..6 (repeatable, or comma-separated; none: every day).")
@click.option("--serial", "serials", multiple=True, help="A device to run on (repeatable).")
@click.option("--group", "groups", multiple=True, help="A device group to run on (repeatable).")
@click.option("--username", "usernames", multiple=True,
              help="An account to run for, on its bound device (repeatable).")
@click.option("--script", "script_name", required=True, help="The script to run.")
@click.option("--config", "script_config", default=None,
              help="Script settings as a JSON object, or @FILE to read them from a file.")
@click.option("--disabled", is_flag=True, help="Add it disabled (it fires once enabled).")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def add_schedule(ctx, name, times, weekdays, serials, groups, usernames, script_name,
                 script_config, disabled, as_json) -> None:
    """Add a schedule for devices (--serial), device groups (--group) or accounts (--username)."""
    given = [(key, values) for key, values in
             (("serials", serials), ("groups", groups), ("usernames", usernames)) if values]
    if len(given) != 1:
        raise click.UsageError("give the targets as one kind: --serial, --group or --username "
                               "(each repeatable)")
    weekday_values: list[Any] = [int(d) if d.isdigit() else d.lower() for d in _items(weekdays)]
    body: dict[str, Any] = {"name": name, "times": _items(times), "weekdays": weekday_values,
                            "targets": {given[0][0]: list(given[0][1])},
                            "script_name": script_name, "enabled": not disabled}
    if script_config:
        body["script_config"] = _script_config(script_config)
    schedule = client(ctx).call("POST", "/schedule", body)
    if as_json:
        echo_json(schedule)
    else:
        click.echo(f"schedule {schedule['id']} added; next runs: "
                   f"{', '.join(schedule['next_run_times']) or '- (disabled)'}")


def _set_enabled(ctx, schedule_id: int, enabled: bool) -> None:
    schedule = client(ctx).call("PATCH", f"/schedule/{schedule_id}", {"enabled": enabled})
    click.echo(f"schedule {schedule_id} {'enabled' if enabled else 'disabled'}; next run: "
               f"{(schedule['next_run_times'] or ['-'])[0]}")


@schedules.command("enable")
@click.argument("schedule_id", type=int)
@click.pass_context
def enable_schedule(ctx, schedule_id) -> None:
    """Let a schedule fire again (from its next time on)."""
    _set_enabled(ctx, schedule_id, True)


@schedules.command("disable")
@click.argument("schedule_id", type=int)
@click.pass_context
def disable_schedule(ctx, schedule_id) -> None:
    """Stop a schedule's firings (it is kept)."""
    _set_enabled(ctx, schedule_id, False)


@schedules.command("run")
@click.argument("schedule_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def run_schedule(ctx, schedule_id, as_json) -> None:
    """Fire a schedule now, as at one of its times."""
    data = client(ctx).call("POST", f"/schedule/{schedule_id}/run")
    if as_json:
        echo_json(data)
    else:
        click.echo(f"created {data['created_count']} task(s): "
                   f"{' '.join(str(i) for i in data['task_ids'])}")


@schedules.command("delete")
@click.argument("schedule_id", type=int)
@click.pass_context
def delete_schedule(ctx, schedule_id) -> None:
    """Delete a schedule (the tasks it created are kept)."""
    client(ctx).call("DELETE", f"/schedule/{schedule_id}")
    click.echo(f"schedule {schedule_id} deleted")


commands = [schedules]
