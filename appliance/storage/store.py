"""`Store`: opens the state directory, owns TinyDB, the journal and the one lock.

Any thread may call the repos; each call takes `store.lock` (an RLock), writes its journal record
and, after releasing the lock, waits for the fsync. A background thread rewrites the snapshot
when the journal grows past `journal_limit` bytes, then deletes the journals it covers.
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from appliance.errors import StoreError
from appliance.storage.backend import DocTable, JournalStorage, JournalTinyDB, LineTable, Record
from appliance.storage.groups import GroupRepo
from appliance.storage.indexes import KEPT
from appliance.storage.jobs import JobRepo
from appliance.storage.journal import JOURNAL_MAGIC, CorruptFile, Journal, fsync_dir, list_journals, scan
from appliance.storage.materials import MaterialRepo
from appliance.storage.migrate import LEGACY_NAME, read_legacy
from appliance.storage.schedules import ScheduleRepo
from appliance.storage.small import AccountRepo, MetaRepo
from appliance.storage.snapshot import SNAPSHOT_NAME, read_snapshot, write_snapshot
from appliance.storage.tasks import TaskRepo

log = logging.getLogger(__name__)
T = TypeVar("T")
# A consistent copy of the tables for a snapshot: ({table: (its DocTable, its records)}, high-water
# marks, the generation of the journal that follows it).
_Copy = tuple[dict[str, tuple[DocTable, dict[int, Record]]], dict[str, int], int]

LOCK_NAME = "store.lock"
MARKER_NAME = "RECOVERY-NEEDED.txt"
DEFAULT_JOURNAL_LIMIT = 8 << 20
# How each table is kept in memory, and which fields its records are indexed by.
LAYOUT = {
    "tasks": lambda: DocTable(KEPT),
    "logs": LineTable,
    "accounts": lambda: DocTable(("username",)),
    "meta": lambda: DocTable(("key",)),
    "jobs": lambda: DocTable(("job_id",)),
}


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _journal_header(gen: int) -> bytes:
    return json.dumps({"magic": JOURNAL_MAGIC, "version": 1, "gen": gen}).encode()


class Store:
    """The hub's persistent state. Use `Store.open(state_dir)`; `close()` when done."""

    def __init__(self, state_dir: Path, storage: JournalStorage, journal: Journal,
                 lock_fd: int, journal_limit: int):
        self.state_dir = state_dir
        self.lock = threading.RLock()
        self.storage = storage
        self.journal = journal
        self.journal_limit = journal_limit
        self._lock_fd = lock_fd
        self._closed = False
        self._snap_mutex = threading.Lock()  # one snapshot writer at a time
        self._snap_thread: threading.Thread | None = None
        self.snapshot_error: str | None = None
        self.db = JournalTinyDB(storage=lambda: storage)
        storage.journal = journal
        storage.on_commit = self._after_commit
        self.tasks = TaskRepo(self)
        self.meta = MetaRepo(self)
        self.accounts = AccountRepo(self)
        self.groups = GroupRepo(self)
        self.jobs = JobRepo(self)            # the scheduler's persistent jobs (services/jobstore)
        self.schedules = ScheduleRepo(self)
        self.materials = MaterialRepo(self)  # the material library (issue 12)

    # --- opening ---
    @classmethod
    def open(cls, state_dir: Path | str, journal_limit: int = DEFAULT_JOURNAL_LIMIT) -> Store:
        state_dir = Path(state_dir)
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(state_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreError(f"cannot use the state directory {state_dir}: {exc}") from None
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock_fd)
            raise StoreError(f"another hub is using {state_dir}; stop it first") from None
        # Loading creates hundreds of thousands of objects and no cycles: without this the cyclic
        # GC rescans the growing heap again and again (measured: 2.5x slower at 100k tasks).
        enabled = gc.isenabled()
        gc.disable()
        try:
            storage, journal = _load(state_dir)
            return cls(state_dir, storage, journal, lock_fd, journal_limit)
        except BaseException:
            os.close(lock_fd)  # closing the fd releases the flock
            raise
        finally:
            if enabled:
                gc.enable()

    # --- writes ---
    def write(self, fn: Callable[[], T]) -> T:
        """Run `fn` under the lock as one transaction, then wait until its record is on disk."""
        with self.lock:
            if self._closed:
                raise StoreError("the store is closed")
            try:
                with self.storage.transaction():
                    result = fn()
            except OSError as exc:
                raise StoreError(f"cannot write the store in {self.state_dir}: {exc}") from None
            seq = self.storage.last_seq
        try:
            self.journal.wait_durable(seq)
        except OSError as exc:
            raise StoreError(f"cannot write the store in {self.state_dir}: {exc}") from None
        return result

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the lock to read; on leaving, wait until what was read is on disk.

        A reader never acts on, or shows a client, a write that a power cut could still undo.
        With no write in flight this costs nothing; otherwise it joins the pending fsync.
        """
        with self.lock:
            self._check_open()
            yield
            seq = self.journal.seq
        if self.journal.synced < seq and not self.journal.broken:
            try:
                self.journal.wait_durable(seq)
            except OSError:
                pass  # the writer that owns the record reports it; check() shows it too

    def _after_commit(self) -> None:
        # Called under the lock right after a journal record was written.
        if self.journal.size < self.journal_limit or not self._snap_mutex.acquire(blocking=False):
            return
        try:
            job = self._rotate()
        except OSError as exc:
            # The record that got us here is written; failing its caller now would be a lie.
            # Keep appending to the old journal; a failed sync already marked it broken.
            self._snap_mutex.release()
            self.snapshot_error = f"starting a new journal failed: {exc}"
            log.error("store: %s", self.snapshot_error)
            return
        except BaseException:
            self._snap_mutex.release()
            raise
        # One-shot: writes one snapshot and ends (not a loop, so no BackgroundLoop).
        self._snap_thread = threading.Thread(
            target=self._snapshot_job, args=(job, True), name="store-snapshot", daemon=True)
        self._snap_thread.start()

    def _rotate(self) -> _Copy:
        """Start a new journal and return a consistent copy of the tables (lock held).

        Documents are replaced, never mutated, so shallow copies of the tables stay consistent
        after the lock is released.
        """
        self.journal.sync_all()  # a later journal must never follow a torn record
        new = Journal.create(self.state_dir, self.journal.gen + 1, _journal_header(self.journal.gen + 1))
        self.journal.switch(new)
        tables, hw = self.storage.copy()
        return tables, hw, self.journal.gen

    def _snapshot_job(self, job: _Copy, release: bool) -> None:
        tables, hw, next_gen = job
        try:
            write_snapshot(self.state_dir / SNAPSHOT_NAME, tables, hw, next_gen)
            for gen, path in list_journals(self.state_dir):
                if gen < next_gen:
                    path.unlink(missing_ok=True)
            self.snapshot_error = None
        except OSError as exc:
            # The journals are kept, so nothing is lost; the next rotation tries again.
            self.snapshot_error = f"writing the snapshot failed: {exc}"
            log.error("store: %s", self.snapshot_error)
        finally:
            if release:
                self._snap_mutex.release()

    # --- maintenance ---
    def compact(self) -> None:
        """Write a snapshot now and drop the journals it covers."""
        with self._snap_mutex:
            with self.lock:
                self._check_open()
                job = self._rotate()
            self._snapshot_job(job, release=False)
        if self.snapshot_error:
            raise StoreError(self.snapshot_error)

    def backup(self, dest_path: Path | str) -> Path:
        """Write a consistent copy; restore by copying it to `<fresh dir>/store.snap`.

        If `dest_path` is an existing directory the copy is `dest_path/store.snap`.
        """
        dest = Path(dest_path)
        if dest.is_dir():
            dest = dest / SNAPSHOT_NAME
        with self.lock:
            self._check_open()
            tables, hw = self.storage.copy()
        try:
            write_snapshot(dest, tables, hw, next_gen=1)
        except OSError as exc:
            raise StoreError(f"cannot write the backup {dest}: {exc}") from None
        return dest

    def check(self) -> list[str]:
        """Problems found in memory and on disk; an empty list means the store is sound."""
        problems: list[str] = []
        with self.lock:
            self._check_open()
            problems += self.tasks.check()
            if self.journal.broken:
                problems.append(f"journal: {self.journal.broken}")
        if self.snapshot_error:
            problems.append(self.snapshot_error)
        snap = self.state_dir / SNAPSHOT_NAME
        with self._snap_mutex:
            if snap.exists():
                try:
                    read_snapshot(snap, JournalStorage(LAYOUT))
                except (CorruptFile, OSError) as exc:
                    problems.append(f"snapshot: {exc}")
            for gen, path in list_journals(self.state_dir):
                if gen == self.journal.gen:
                    continue  # being written; it was checked at open
                try:
                    scan(path, path.read_bytes(), allow_torn_tail=False)
                except (CorruptFile, OSError) as exc:
                    problems.append(f"journal: {exc}")
        return problems

    def close(self) -> None:
        with self.lock:
            if self._closed:
                return
            self._closed = True
        thread = self._snap_thread
        if thread is not None:
            thread.join()
        try:
            self.journal.sync_all()
        except OSError as exc:
            log.error("store: final sync failed: %s", exc)
        self.journal.close()
        os.close(self._lock_fd)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def held_elsewhere(state_dir: Path) -> bool:
    """True when another process (a hub) holds the store's lock in `state_dir` right now."""
    try:
        fd = os.open(Path(state_dir) / LOCK_NAME, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also releases our probe lock at once
    return False


def _quarantine(state_dir: Path, path: Path, why: str) -> StoreError:
    """Move a damaged file aside, leave a marker that blocks the next open, return the error."""
    aside = path.with_name(f"{path.name}.corrupt-{_stamp()}")
    os.replace(path, aside)
    marker = state_dir / MARKER_NAME
    message = (
        f"The store file {path} is damaged ({why}). It was moved to {aside}; nothing was deleted. "
        f"To recover, restore a backup (copy it to {state_dir / SNAPSHOT_NAME}) or accept the loss "
        f"of what that file held; then delete {marker} and start the hub again."
    )
    marker.write_text(message + "\n", encoding="utf-8")
    fsync_dir(state_dir)
    return StoreError(message)


def _load(state_dir: Path) -> tuple[JournalStorage, Journal]:
    """Snapshot + journals (or a migrated legacy file) -> live tables and the open journal."""
    marker = state_dir / MARKER_NAME
    if marker.exists():
        raise StoreError(marker.read_text(encoding="utf-8").strip())
    snap = state_dir / SNAPSHOT_NAME
    snap.with_name(SNAPSHOT_NAME + ".tmp").unlink(missing_ok=True)
    journals = list_journals(state_dir)
    legacy = state_dir / LEGACY_NAME
    if not snap.exists() and not journals and legacy.exists():
        _migrate(state_dir, legacy, snap)

    storage = JournalStorage(LAYOUT)
    pool: dict[str, str] = {}   # equal strings of everything loaded are held once
    next_gen = 1
    if snap.exists():
        try:
            next_gen = read_snapshot(snap, storage, pool)
        except CorruptFile as exc:
            raise _quarantine(state_dir, snap, exc.why) from None

    for gen, path in journals:
        if gen < next_gen:
            path.unlink()  # covered by the snapshot (a crash came before their deletion)
    journals = [(g, p) for g, p in journals if g >= next_gen]
    good_size = 0
    for n, (_gen, path) in enumerate(journals):
        last = n == len(journals) - 1
        data = path.read_bytes()
        try:
            # Views, not copies (see read_snapshot).
            payloads, good_size = scan(path, memoryview(data), allow_torn_tail=last)
            if payloads:
                header = json.loads(bytes(payloads[0]))
                if header.get("magic") != JOURNAL_MAGIC:
                    raise CorruptFile(path, 0, "not a journal of this store (bad magic)")
            elif not last:
                raise CorruptFile(path, 0, "the journal has no header")
            for payload in payloads[1:]:
                storage.replay(json.loads(bytes(payload)), pool)
        except CorruptFile as exc:
            raise _quarantine(state_dir, path, f"{exc.why} at byte {exc.offset}") from None
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise _quarantine(state_dir, path, f"a record cannot be applied: {exc}") from None
        if good_size < len(data):
            log.warning("store: dropped a torn record at the end of %s (%d bytes)",
                        path, len(data) - good_size)

    try:
        if journals and good_size > 0:
            journal = Journal.reopen(state_dir, journals[-1][0], good_size)
        else:
            gen = journals[-1][0] if journals else next_gen
            journal = Journal.create(state_dir, gen, _journal_header(gen))
    except OSError as exc:
        raise StoreError(f"cannot write the journal in {state_dir}: {exc}") from None
    return storage, journal


def _migrate(state_dir: Path, legacy: Path, snap: Path) -> None:
    try:
        tables, hw = read_legacy(legacy)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _quarantine(state_dir, legacy, f"the old-format store cannot be read: {exc}") from None
    storage = JournalStorage(LAYOUT)
    for name, docs in tables.items():
        storage.load_docs(name, docs)
    storage.hw.update(hw)
    write_snapshot(snap, *storage.copy(), next_gen=1)
    backup = legacy.with_name(f"{legacy.name}.bak-{_stamp()}")
    os.replace(legacy, backup)
    fsync_dir(state_dir)
    log.warning("store: migrated %s (%d tasks); the old file is kept as %s",
                legacy, len(tables.get("tasks", {})), backup)

