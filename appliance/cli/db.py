"""`appliance db backup|restore|check|compact|archives|archive`: look after the store in the
state directory.

Only one process may open the store (a flock). `backup` is safe beside a running hub: it asks
the hub (`POST /admin/db/backup`) to copy under its own lock. `restore`, `check` and `compact`
need the store alone and refuse while a hub holds it. Main thread only.
"""

from __future__ import annotations

from pathlib import Path

import click

from appliance.cli.hubclient import as_state_owner, client, echo_json
from appliance.errors import ApplianceError

# services.storeadmin (and the store behind it) is imported inside the commands, so that
# `appliance --help` does not pay for it.


def hub_holds_store(state_dir: Path) -> bool:
    """True when another process (a hub) holds the store's lock right now."""
    from appliance.services.storeadmin import hub_holds_store as held

    return held(state_dir)


def _state_dir(ctx: click.Context, must_exist: bool) -> Path:
    state_dir = Path(ctx.obj.get().state_dir)
    if must_exist and not state_dir.is_dir():
        raise click.ClickException(f"no state directory at {state_dir}: nothing to do "
                                   "(is --config or APPLIANCE_STATE_DIR pointing at the hub's?)")
    return state_dir


def _refuse_beside_a_hub(ctx: click.Context, state_dir: Path, what: str) -> None:
    if hub_holds_store(state_dir):
        hub = client(ctx, timeout=5)
        where = (f"it answers at {hub.url}" if hub.health() is not None
                 else "it does not answer over HTTP")
        raise click.ClickException(
            f"a running hub holds the store in {state_dir} ({where}); {what} needs the store "
            "alone: stop the hub first (`sudo systemctl stop appliance`), then run this again.")


@click.group()
def db() -> None:
    """Back up, restore, check or compact the task store; read the retention archive."""


@db.command("backup")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def backup(ctx: click.Context, name: str | None, as_json: bool) -> None:
    """Write a consistent copy of the store to STATE_DIR/backups/NAME (safe while the hub runs).

    `appliance db restore` puts it back.
    """
    from appliance.services.storeadmin import BACKUP_FOLDER, backup_alone, backup_destination

    state_dir = _state_dir(ctx, must_exist=True)
    try:
        dest = backup_destination(state_dir, name)
    except ApplianceError as exc:
        raise click.ClickException(exc.message.replace("Field 'path'", "NAME")) from None
    if hub_holds_store(state_dir):
        hub = client(ctx, timeout=120)
        if hub.health() is None:
            raise click.ClickException(
                f"a hub holds the store in {state_dir} but no hub answers at {hub.url}; "
                "check --config/APPLIANCE_PORT, or stop that hub and back up again.")
        result = hub.call("POST", "/admin/db/backup", {"path": str(dest.relative_to(
            (state_dir / BACKUP_FOLDER).resolve()))}, prefix="")
    else:
        _refuse_beside_a_hub(ctx, state_dir, "backup")
        with as_state_owner(state_dir):
            # a StoreError is a sentence already (see cli/__init__.py)
            result = backup_alone(state_dir, dest)
    if as_json:
        echo_json(result)
    else:
        how = "by the running hub" if result.get("by") == "hub" else "from the store directly"
        click.echo(f"backup written {how}: {result['path']} ({result['bytes']} bytes)")


@db.command("restore")
@click.argument("backup", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def restore(ctx: click.Context, backup: Path, as_json: bool) -> None:
    """Make BACKUP (a file from `appliance db backup`, or a name in STATE_DIR/backups) the store
    (the hub must be stopped).

    The backup is checked before anything changes; the replaced store is kept in
    STATE_DIR/replaced-<time>/, and restoring that folder undoes the restore.
    """
    from appliance.services.storeadmin import BACKUP_FOLDER
    from appliance.services.storeadmin import restore as restore_store

    state_dir = _state_dir(ctx, must_exist=True)
    if not backup.exists() and (state_dir / BACKUP_FOLDER / backup).exists():
        backup = state_dir / BACKUP_FOLDER / backup
    if not backup.exists():
        raise click.ClickException(f"no backup {backup}: give a file that `appliance db backup` "
                                   f"wrote (they are in {state_dir / BACKUP_FOLDER})")
    backup = backup.resolve()
    _refuse_beside_a_hub(ctx, state_dir, "restore")
    with as_state_owner(state_dir):
        done = restore_store(state_dir, backup)
    result = {"restored": str(backup), "tasks": done.tasks, "accounts": done.accounts,
              "replaced": None if done.aside is None else str(done.aside)}
    if as_json:
        echo_json(result)
        return
    click.echo(f"restored {backup} into {state_dir}: {done.tasks} tasks, {done.accounts} accounts")
    if done.aside is None:
        click.echo("there was no store before it")
    else:
        click.echo(f"the replaced store is kept in {done.aside}; to undo, run "
                   f"`appliance db restore {done.aside}`")
    click.echo("start the hub to use it (`sudo systemctl start appliance`)")


@db.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
@click.pass_context
def check(ctx: click.Context, as_json: bool) -> None:
    """Check the store for damage (the hub must be stopped); exit 1 if any is found."""
    from appliance.services import storeadmin

    state_dir = _state_dir(ctx, must_exist=True)
    _refuse_beside_a_hub(ctx, state_dir, "check")
    with as_state_owner(state_dir):
        problems = storeadmin.check(state_dir)
    if as_json:
        echo_json({"ok": not problems, "problems": problems})
    elif not problems:
        click.echo(f"store in {state_dir}: no problems found")
    else:
        for problem in problems:
            click.echo(f"problem: {problem}")
    if problems:
        raise SystemExit(1)


@db.command("compact")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def compact(ctx: click.Context, as_json: bool) -> None:
    """Rewrite the store as one snapshot and drop old journals (the hub must be stopped)."""
    from appliance.services import storeadmin

    state_dir = _state_dir(ctx, must_exist=True)

    def size() -> int:
        return sum(p.stat().st_size for p in state_dir.iterdir()
                   if p.is_file() and p.name.startswith(("store.snap", "journal.")))

    before = size()
    _refuse_beside_a_hub(ctx, state_dir, "compact")
    with as_state_owner(state_dir):
        storeadmin.compact(state_dir)
    after = size()
    if as_json:
        echo_json({"bytes_before": before, "bytes_after": after})
    else:
        click.echo(f"store compacted: {before} -> {after} bytes")


@db.command("archives")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_context
def archives(ctx: click.Context, as_json: bool) -> None:
    """List the retention archive's files (finished tasks older than retention_days).

    Safe beside a running hub: archive files are complete before they appear.
    """
    from appliance.services import storeadmin

    state_dir = _state_dir(ctx, must_exist=True)
    files = storeadmin.archives(state_dir)
    if as_json:
        echo_json(files)
        return
    if not files:
        click.echo(f"no archived tasks in {state_dir / 'archive'}")
    for f in files:
        tasks = f"{f['tasks']} tasks" if f["tasks"] is not None else "DAMAGED"
        click.echo(f"{f['file']}  {tasks}  {f['bytes']} bytes")
    for f in files:
        if "damaged" in f:
            click.echo(f["damaged"])


@db.command("archive")
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Print the tasks as one JSON list.")
@click.pass_context
def archive(ctx: click.Context, file: str, as_json: bool) -> None:
    """Print the tasks of one archive FILE (a name from `appliance db archives`)."""
    from appliance.services import storeadmin

    state_dir = _state_dir(ctx, must_exist=True)
    tasks = storeadmin.archive_tasks(state_dir, file)
    if tasks is None:   # names only: nothing outside the archive folder is ever read
        raise click.ClickException(f"no archive named {file!r}; `appliance db archives` lists them")
    if as_json:
        echo_json(tasks)
        return
    for task in tasks:
        click.echo(f"{task['id']:>8}  {task['serial']:<20} {task['script_name']:<16} "
                   f"status {task['status']}  finished {task['finished_at']}  {task['remark']}")


commands = [db]
