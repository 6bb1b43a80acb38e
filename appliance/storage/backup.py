"""Backups of the store and their restore: the files and folders, not the commands around them.

`private_backup` writes a consistent copy into `state_dir/backups/` (the hub's thread serving
`POST /admin/db/backup`, or `appliance db backup` holding the store alone). `restore` replaces
the store of a state directory that no process holds (main thread of `appliance db restore`).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from appliance.errors import InvalidParams, StoreError
from appliance.storage.backend import JournalStorage
from appliance.storage.journal import CorruptFile, fsync_dir, list_journals
from appliance.storage.migrate import LEGACY_NAME
from appliance.storage.snapshot import SNAPSHOT_NAME, read_snapshot, write_snapshot
from appliance.storage.store import LAYOUT, LOCK_NAME, MARKER_NAME, Store

BACKUP_FOLDER = "backups"
NAME_MAX = 255   # bytes in one file name on Linux file systems
REPLACED_PREFIX = "replaced-"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def default_backup_name() -> str:
    return f"store-{_stamp()}.snap"


def backup_destination(state_dir: Path, name: str | None) -> Path:
    """`state_dir/backups/<name>`; InvalidParams for names that would leave that folder."""
    folder = (Path(state_dir) / BACKUP_FOLDER).resolve()
    name = name or default_backup_name()
    if not isinstance(name, str) or "\0" in name:
        raise InvalidParams("Field 'path' must be a file name inside the backups folder.")
    if any(len(part.encode("utf-8", "surrogatepass")) > NAME_MAX for part in Path(name).parts):
        raise InvalidParams(f"Field 'path' has a name longer than {NAME_MAX} bytes; use a shorter one.")
    dest = (folder / name).resolve()
    if dest == folder or folder not in dest.parents:
        raise InvalidParams(f"Field 'path' must stay inside {folder}; got {name!r}.")
    return dest


def private_backup(store: Store, state_dir: Path, dest: Path) -> Path:
    """`store.backup(dest)` in a backups folder only the hub's user may enter, the copy 0600:
    backups hold the accounts' passwords. Raises OSError, StoreError."""
    root = Path(state_dir) / BACKUP_FOLDER
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)   # a folder made by an older version was 0755
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = Path(store.backup(dest))
    os.chmod(written, 0o600)
    return written


def store_files(folder: Path) -> list[Path]:
    """The files that make up the store in `folder` (snapshot, journals, an old-format file,
    the recovery marker); the archive, backups and state files are not part of it."""
    names = (SNAPSHOT_NAME, SNAPSHOT_NAME + ".tmp", LEGACY_NAME, MARKER_NAME)
    found = [folder / name for name in names if (folder / name).is_file()]
    return found + [path for _, path in list_journals(folder)]


@dataclass
class Restored:
    tasks: int
    accounts: int
    aside: Path | None   # where the replaced store's files went; None when there were none


def restore(state_dir: Path, source: Path) -> Restored:
    """Make the backup `source` the store of `state_dir`, keeping the replaced store aside.

    `source` is a file written by `db backup`, or a `replaced-*` folder of an earlier restore.
    It is opened and checked as a store in a scratch folder first: if that fails, StoreError and
    nothing has changed. The current store's files are linked into `state_dir/replaced-<stamp>/`
    (0700) before one rename puts the restored snapshot (0600) in place, so a crash leaves the
    old store or the new one, whole. Ids stay above any the replaced store handed out (docs/API.md,
    Tasks: ids are never reused). Holds the store's lock throughout, so no hub starts meanwhile.
    Raises StoreError (a hub holds the store; the backup does not open), OSError.
    """
    state_dir, source = Path(state_dir), Path(source)
    lock_fd = os.open(state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreError(f"another hub is using {state_dir}; stop it first") from None
        scratch = _new_folder(state_dir / ".restore-")
        try:
            high = _high_water(scratch / "current", store_files(state_dir))
            with _checked_copy(source, scratch / "source") as copy:
                with copy.lock:   # ids handed out since the backup are never given again
                    for table, last in high.items():
                        copy.storage.hw[table] = max(copy.storage.hw.get(table, 0), last)
                    tables, hw = copy.storage.copy()
                counts = {"tasks": copy.tasks.stats()["total"],
                          "accounts": len(copy.accounts.list())}
            # Past every journal of the replaced store: they are "covered", never replayed on it.
            next_gen = max((gen for gen, _ in list_journals(state_dir)), default=0) + 1
            write_snapshot(scratch / SNAPSHOT_NAME, tables, hw, next_gen)   # 0600
            aside = _keep_aside(state_dir)
            os.replace(scratch / SNAPSHOT_NAME, state_dir / SNAPSHOT_NAME)   # the switch
            fsync_dir(state_dir)
            for path in store_files(state_dir):
                if path.name != SNAPSHOT_NAME:
                    path.unlink()   # journals, marker, old-format file: kept in `aside`
            fsync_dir(state_dir)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        os.close(lock_fd)
    return Restored(aside=aside, **counts)


def _new_folder(prefix: Path) -> Path:
    """`<prefix><UTC stamp>`, made 0700 (a suffix -N when two are made in the same second)."""
    path, n = Path(f"{prefix}{_stamp()}"), 1
    while True:
        try:
            path.mkdir(mode=0o700)
            return path
        except FileExistsError:
            path, n = Path(f"{prefix}{_stamp()}-{n}"), n + 1


def _copy_into(folder: Path, files: dict[str, Path]) -> Path:
    folder.mkdir(mode=0o700)
    for name, path in files.items():
        shutil.copyfile(path, folder / name)
    return folder


def _checked_copy(source: Path, folder: Path) -> Store:
    """The backup opened from a copy in `folder`; StoreError naming `source` if it is no store."""
    files = ({p.name: p for p in store_files(source)} if source.is_dir()
             else {SNAPSHOT_NAME: source})
    if not files:
        raise StoreError(f"{source} holds no store files ({SNAPSHOT_NAME}, journal.N), so nothing "
                         "was changed: give a backup file or a folder kept by an earlier restore.")
    if SNAPSHOT_NAME in files:
        try:   # its own reason, before Store.open would quarantine the copy with a long story
            read_snapshot(files[SNAPSHOT_NAME], JournalStorage(LAYOUT))
        except CorruptFile as exc:
            raise StoreError(f"{source} is not a backup of this store ({exc.why}), so nothing was "
                             "changed: give a file written by `appliance db backup`.") from None
    try:
        copy = Store.open(_copy_into(folder, files))
    except StoreError as exc:
        raise StoreError(f"{source} does not open as a store, so nothing was changed: "
                         f"{exc.message}") from None
    problems = copy.check()
    if problems:
        copy.close()
        raise StoreError(f"{source} opens but is damaged ({'; '.join(problems)}), so nothing was "
                         "changed: try an older backup.")
    return copy


def _high_water(folder: Path, files: list[Path]) -> dict[str, int]:
    """The current store's last ids per table, from a copy ({} when it has none or is damaged:
    then the backup's own ids are all there is to go by)."""
    if not files:
        return {}
    try:
        with Store.open(_copy_into(folder, {p.name: p for p in files})) as current:
            return dict(current.storage.hw)
    except StoreError:
        return {}


def _keep_aside(state_dir: Path) -> Path | None:
    """Hard links to the current store's files in a new `replaced-<stamp>/` folder."""
    files = store_files(state_dir)
    if not files:
        return None
    aside = _new_folder(state_dir / REPLACED_PREFIX)
    for path in files:
        os.link(path, aside / path.name)
    fsync_dir(aside)
    return aside
