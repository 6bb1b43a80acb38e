"""The store's upkeep as the front uses it: backups, restore, check, compact, the retention archive.

`appliance db ...` (CLI main thread) and `POST /admin/db/backup` (a waitress thread of the hub)
call these; they reach the store's files only through here (the front never imports storage).
Functions that open the store need it alone: a hub holding it makes them raise StoreError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.errors import InternalError, StoreError
from appliance.storage import Store, read_archive
from appliance.storage.archive import archive_files
from appliance.storage.backup import BACKUP_FOLDER, Restored, backup_destination, private_backup
from appliance.storage.backup import restore as restore_store
from appliance.storage.store import held_elsewhere

__all__ = ["BACKUP_FOLDER", "Restored", "archive_tasks", "archives", "backup_alone",
           "backup_destination", "check", "compact", "hub_backup", "hub_holds_store", "restore"]


def hub_holds_store(state_dir: Path) -> bool:
    """True when another process (a hub) holds the store of `state_dir` right now."""
    return held_elsewhere(state_dir)


def _written(written: Path, by: str) -> dict[str, Any]:
    return {"path": str(written), "bytes": written.stat().st_size, "by": by}


def hub_backup(store: Store, state_dir: Path, name: str | None) -> dict[str, Any]:
    """The running hub's backup into `state_dir/backups/<name>` (InvalidParams for a name that
    would leave that folder): {path, bytes, by: "hub"}."""
    dest = backup_destination(state_dir, name)
    try:
        return _written(private_backup(store, state_dir, dest), "hub")
    except OSError as exc:
        raise InternalError(f"Could not write the backup {dest.name}: {exc.strerror or exc}; "
                            "check the free space and permissions of the backups folder.") from None


def backup_alone(state_dir: Path, dest: Path) -> dict[str, Any]:
    """Open the store (no hub may hold it), write the backup `dest`, close: {path, bytes, by}."""
    with Store.open(state_dir) as store:
        try:
            return _written(private_backup(store, state_dir, dest), "cli")
        except OSError as exc:
            raise StoreError(f"cannot write the backup {dest}: {exc.strerror or exc}; check the "
                             "free space and permissions of the backups folder") from None


def restore(state_dir: Path, backup: Path) -> Restored:
    """Make `backup` the store of `state_dir` (no hub may hold it); the replaced one is kept."""
    return restore_store(state_dir, backup)


def check(state_dir: Path) -> list[str]:
    """The problems of the store in `state_dir` (no hub may hold it); empty when sound."""
    with Store.open(state_dir) as store:
        return store.check()


def compact(state_dir: Path) -> None:
    """Rewrite the store of `state_dir` as one snapshot (no hub may hold it)."""
    with Store.open(state_dir) as store:
        store.compact()


def archives(state_dir: Path) -> list[dict[str, Any]]:
    """The retention archive's files: {file, bytes, tasks (None when damaged), damaged?}."""
    files: list[dict[str, Any]] = []
    for path in archive_files(state_dir):
        entry: dict[str, Any] = {"file": path.name, "bytes": path.stat().st_size, "tasks": None}
        try:
            entry["tasks"] = len(read_archive(path))
        except StoreError as exc:
            entry["damaged"] = exc.message
        files.append(entry)
    return files


def archive_tasks(state_dir: Path, name: str) -> list[dict[str, Any]] | None:
    """The tasks of the archive file `name` (a name from `archives`), or None when there is no
    such file: names only, nothing outside the archive folder is ever read."""
    by_name = {p.name: p for p in archive_files(state_dir)}
    if name not in by_name:
        return None
    return read_archive(by_name[name])
