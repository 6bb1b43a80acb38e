"""`appliance tasks ...`: the task queue, always through the running hub's API (docs/API.md, Tasks).

Going through the API (not the store) keeps one writer and lets the engine hear about changes.
Main thread only; `wait` polls the hub until the tasks end.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from appliance.cli.hubclient import client, echo_json

STATUS_NAMES = {0: "pending", 1: "running", 2: "completed", 3: "failed"}
_STATUS_VALUES = {name: code for code, name in STATUS_NAMES.items()}
FINISHED = (2, 3)


class StatusType(click.ParamType):
    name = "status"

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text in _STATUS_VALUES:
            return _STATUS_VALUES[text]
        if text in ("0", "1", "2", "3"):
            return int(text)
        raise click.BadParameter(
            f"{value!r} is not a status: use pending, running, completed, failed (or 0-3)",
            ctx=ctx, param=param)


def _status(task: dict) -> str:
    status = task.get("status")
    return STATUS_NAMES[status] if isinstance(status, int) and status in STATUS_NAMES else str(status)


def _row(task: dict) -> str:
    who = task.get("username") or "-"
    return (f"{task['id']:>6}  {_status(task):<9}  {task.get('serial', ''):<21}  {who:<16}  "
            f"{task.get('script_name', ''):<18}  {task.get('remark') or ''}")


def _print_task(task: dict) -> None:
    for key in ("id", "serial", "username", "script_name", "source", "min_interval", "max_interval",
                "start_time", "created_at", "started_at", "finished_at", "retry_count", "remark"):
        if key in task:
            click.echo(f"{key + ':':<14}{task[key] if task[key] is not None else '-'}")
    click.echo(f"{'status:':<14}{_status(task)}")
    click.echo(f"{'script_config:':<14}{json.dumps(task.get('script_config', {}), ensure_ascii=False)}")
    logs = task.get("logs")
    if logs:
        click.echo("logs:")
        for line in logs:
            click.echo(f"  {line.get('ts', '')}  {line.get('level', ''):<7} {line.get('message', '')}")


def _script_config(value: str) -> Any:
    """--config: JSON text, or @FILE holding it (UTF-8)."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {value[1:]}: {exc.strerror}; give @FILE of an "
                                     "existing JSON file", param_hint="--config") from None
        except UnicodeDecodeError:
            raise click.BadParameter(f"{value[1:]} is not UTF-8 text: save it as UTF-8",
                                     param_hint="--config") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--config") from None


@click.group()
def tasks() -> None:
    """List, create and manage tasks on the running hub."""


@tasks.command("list")
@click.option("--status", type=StatusType(), help="pending, running, completed or failed.")
@click.option("--serial", help="Only tasks of this device.")
@click.option("--script", "script_name", help="Only tasks of this script.")
@click.option("--source", type=click.Choice(["ui", "api", "schedule"]),
              help="Only tasks created this way.")
@click.option("--username", help="Only tasks of this account.")
@click.option("--group", help="Only tasks of the phones in this device group.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--page-size", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def list_tasks(ctx, status, serial, script_name, source, username, group, page, page_size,
               as_json) -> None:
    """List tasks, newest first."""
    from urllib.parse import urlencode

    query = {"status": status, "serial": serial, "script_name": script_name, "source": source,
             "username": username, "group": group, "page": page, "page_size": page_size}
    encoded = urlencode({k: v for k, v in query.items() if v is not None})
    data = client(ctx).call("GET", f"/task?{encoded}")
    if as_json:
        echo_json(data)
        return
    click.echo(f"{'ID':>6}  {'STATUS':<9}  {'SERIAL':<21}  {'ACCOUNT':<16}  {'SCRIPT':<18}  REMARK")
    for task in data["tasks"]:
        click.echo(_row(task))
    shown = len(data["tasks"])
    click.echo(f"{shown} of {data['total']} tasks (page {data['page']}, page size {data['page_size']})")


@tasks.command("show")
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def show_task(ctx, task_id, as_json) -> None:
    """Show one task with its last log lines."""
    task = client(ctx).call("GET", f"/task/{task_id}")
    echo_json(task) if as_json else _print_task(task)


@tasks.command("results")
@click.argument("task_id", type=int)
@click.option("--csv", "as_csv", is_flag=True,
              help="Print the users as CSV (username,nickname,followers) for a spreadsheet.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def task_results(ctx, task_id, as_csv, as_json) -> None:
    """Show what a scrape_user task read: the users, in the order the app listed them."""
    task = client(ctx).call("GET", f"/task/{task_id}")
    results = task.get("results")
    if not results:
        raise click.ClickException(f"task {task_id} holds no results: only a scrape_user task "
                                   "that ran has them (status: " + _status(task) + ")")
    users = results.get("users") or []
    if as_json:
        echo_json(results)
    elif as_csv:
        click.echo(_users_csv(users), nl=False)
    else:
        click.echo(f"{results.get('scrape_type', '')} of {results.get('target', '')}: "
                   f"{len(users)} user(s)")
        for user in users:
            click.echo(f"  @{user.get('username', ''):<28} {user.get('nickname', ''):<28} "
                       f"{user.get('followers', '')}")


def _users_csv(users: list[dict]) -> str:
    """CSV text; a cell a spreadsheet would run as a formula (=, +, -, @) starts with '."""
    import csv
    import io

    def cell(value: object) -> str:
        text = str(value if value is not None else "")
        return "'" + text if text[:1] in ("=", "+", "-", "@") else text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["username", "nickname", "followers"])
    for user in users:
        writer.writerow([cell(user.get(k)) for k in ("username", "nickname", "followers")])
    return out.getvalue()


@tasks.command("create")
@click.option("--serial", "serials", multiple=True, help="A device to run on (repeatable).")
@click.option("--group", "groups", multiple=True,
              help="A device group whose phones to run on, with --serial's (repeatable).")
@click.option("--username", "usernames", multiple=True,
              help="An account to run for, on its bound device (repeatable).")
@click.option("--script", "script_name", required=True, help="The script to run.")
@click.option("--config", "script_config", default=None,
              help="Script settings as a JSON object, or @FILE to read them from a file.")
@click.option("--multi-account", is_flag=True, help="One task per enabled account of each device.")
@click.option("--min-interval", type=click.IntRange(0, 86400), default=None,
              help="Seconds the device rests before the task, at least (default 1).")
@click.option("--max-interval", type=click.IntRange(0, 86400), default=None,
              help="Seconds the device rests before the task, at most (default 5).")
@click.option("--start-time", default=None, help="HH:MM, hub local time: not before then.")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def create_task(ctx, serials, groups, usernames, script_name, script_config, multi_account,
                min_interval, max_interval, start_time, as_json) -> None:
    """Create tasks: one per device (--serial, --group) or per account (--username)."""
    if bool(serials or groups) == bool(usernames):
        raise click.UsageError("give either --serial or --username (one or more; --group "
                               "adds to --serial), not both")
    body: dict[str, Any] = {"script_name": script_name}
    for key, values in (("serials", serials), ("groups", groups), ("usernames", usernames)):
        if values:
            body[key] = list(values)
    if script_config:
        body["script_config"] = _script_config(script_config)
    if multi_account:
        body["enable_multi_account"] = True
    for key, value in (("min_interval", min_interval), ("max_interval", max_interval),
                       ("start_time", start_time)):
        if value is not None:
            body[key] = value
    data = client(ctx).call("POST", "/task", body)
    if as_json:
        echo_json(data)
    else:
        ids = " ".join(str(i) for i in data["task_ids"])
        click.echo(f"created {data['created_count']} task(s): {ids}")


@tasks.command("stop")
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the stopped task as JSON.")
@click.pass_context
def stop_task(ctx, task_id, as_json) -> None:
    """Stop a pending or running task (it ends failed with remark "stopped")."""
    task = client(ctx).call("POST", f"/task/{task_id}/stop")
    echo_json(task) if as_json else click.echo(f"task {task_id}: {_status(task)} ({task.get('remark')})")


@tasks.command("retry")
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the task as JSON.")
@click.pass_context
def retry_task(ctx, task_id, as_json) -> None:
    """Put a failed task back in its device's queue."""
    task = client(ctx).call("POST", f"/task/{task_id}/retry")
    if as_json:
        echo_json(task)
    else:
        click.echo(f"task {task_id}: {_status(task)}, retry {task.get('retry_count')}")


@tasks.command("retry-all")
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def retry_all(ctx, as_json) -> None:
    """Put every failed task back in its queue."""
    data = client(ctx).call("POST", "/task/retry-all")
    skipped = (f"; skipped {data['skipped_count']} already retried max_retry_count "
               f"({data.get('max_retry_count')}) times" if data.get("skipped_count") else "")
    echo_json(data) if as_json else click.echo(
        f"retried {data['retried_count']} task(s): {' '.join(map(str, data['task_ids'])) or '-'}"
        + skipped)


@tasks.command("delete")
@click.argument("task_ids", type=int, nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the hub's answer as JSON.")
@click.pass_context
def delete_tasks(ctx, task_ids, as_json) -> None:
    """Delete tasks (running ones are stopped first)."""
    data = client(ctx).call("DELETE", "/task/batch", {"task_ids": list(task_ids)})
    if as_json:
        echo_json(data)
        return
    listed = " ".join(map(str, data["deleted_ids"])) or "-"
    click.echo(f"deleted {len(data['deleted_ids'])} task(s): {listed}")
    if data.get("not_found"):
        click.echo(f"not found: {' '.join(map(str, data['not_found']))}")


@tasks.command("wait")
@click.argument("task_ids", type=int, nargs=-1, required=True)
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
@click.option("--interval", type=click.FloatRange(0.05), default=1.0, show_default=True,
              help="Seconds between polls of the hub.")
@click.option("--json", "as_json", is_flag=True, help="Print the finished tasks as JSON.")
@click.pass_context
def wait_tasks(ctx, task_ids, timeout, interval, as_json) -> None:
    """Wait with a progress bar until the tasks end; exit 1 if any failed or time ran out."""
    hub = client(ctx)
    ids = list(dict.fromkeys(task_ids))
    done: dict[int, dict] = {}
    deadline = None if timeout is None else time.monotonic() + timeout
    with click.progressbar(length=len(ids), label="waiting for tasks", file=sys.stderr,
                           show_pos=True) as bar:
        while True:
            for task_id in ids:
                if task_id in done:
                    continue
                task = hub.call("GET", f"/task/{task_id}")
                if task["status"] in FINISHED:
                    done[task_id] = task
                    bar.update(1)
            if len(done) == len(ids) or (deadline is not None and time.monotonic() >= deadline):
                break
            time.sleep(interval)
    tasks_now = [done.get(i) or hub.call("GET", f"/task/{i}") for i in ids]
    if as_json:
        echo_json([{k: v for k, v in t.items() if k != "logs"} for t in tasks_now])
    else:
        for task in tasks_now:
            click.echo(_row(task))
    failed = [t["id"] for t in tasks_now if t["status"] == 3]
    unfinished = [t["id"] for t in tasks_now if t["status"] not in FINISHED]
    if unfinished:
        raise click.ClickException(f"timed out; still unfinished: {' '.join(map(str, unfinished))}")
    if failed:
        raise click.ClickException(f"failed: {' '.join(map(str, failed))}")


commands = [tasks]
