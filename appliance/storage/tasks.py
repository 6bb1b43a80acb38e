"""TaskRepo: the tasks table, its logs table and the indexes behind listing and stats.

Every method takes the store lock; writes return once their journal record is on disk (the
fsync wait happens after the lock is released, so concurrent writers share it).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import chain
from typing import TYPE_CHECKING

from tinydb.table import Document

from appliance.errors import InvalidParams
from appliance.storage.backend import Doc, Fields
from appliance.storage.indexes import INDEXED, KEPT, SERIAL, STATUS, TaskIndex

if TYPE_CHECKING:
    from appliance.storage.store import Store

TASKS, LOGS = "tasks", "logs"
PENDING = 0
STATUS_NAMES = {PENDING: "pending", 1: "running", 2: "completed", 3: "failed"}
FINISHED = (2, 3)
# (task_id, serial, old status, new status): see TaskRepo.subscribe
# ids matching some filters, and the filter fields they satisfy (TaskRepo.list)
_Bucket = tuple[list[int], tuple[str, ...]]
StatusListener = Callable[[int, str | None, int | None, int | None], None]


def _merged(lists: Iterable[list[int]]) -> list[int]:
    """The ids of several ascending id lists, ascending (a single list as it is, not copied)."""
    found = [ids for ids in lists if ids]
    return found[0] if len(found) == 1 else sorted(chain.from_iterable(found))


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class TaskRepo:
    """Tasks and their logs. Documents handed out are deep copies: mutating them changes nothing."""

    def __init__(self, store: Store):
        self._store = store
        self._storage = store.storage
        self._table = store.db.table(TASKS)
        self._logs = store.db.table(LOGS)
        self._docs = self._storage.table(TASKS)  # DocTable: int id -> record
        self._lines = self._storage.table(LOGS)  # LineTable: int id -> tuple of line texts
        self.index = TaskIndex()
        self.index.build(self._docs.field_rows())
        self._storage.listeners.setdefault(TASKS, []).append(self.index.changed)

    def subscribe(self, callback: StatusListener) -> None:
        """Call `callback(task_id, serial, old_status, new_status)` on every change of a task's
        status, under the store lock (in the order of the changes; it must not block): old None
        for a created task, new None for a deleted or archived one. A write that fails is undone,
        and the undo is told too, so the calls always end at what the store holds."""
        def changed(task_id: int, old: Fields | None, new: Fields | None) -> None:
            before = None if old is None else old[STATUS]
            after = None if new is None else new[STATUS]
            fields = new if new is not None else old
            if fields is not None and (old is None or new is None or before != after):
                callback(task_id, fields[SERIAL], before, after)
        with self._store.lock:
            self._storage.listeners[TASKS].append(changed)

    def _live(self, task_id: int) -> Doc | None:
        """A freshly decoded copy of the stored document, or None."""
        return self._docs.get(task_id)

    def _exists(self, task_id: int) -> bool:
        return task_id in self._docs.records

    # --- writes ---
    def create_many(self, docs: list[Doc]) -> list[Doc]:
        """Insert all docs with fresh ids (never reused) in one journal record, or none of them."""
        def write() -> list[Doc]:
            batch = []
            for doc in docs:
                if not isinstance(doc, dict):
                    raise InvalidParams("a task must be an object")
                doc_id = self._storage.next_id(TASKS)
                batch.append(Document({**doc, "id": doc_id}, doc_id))
            self._table.insert_multiple(batch)
            return [self._docs[d.doc_id] for d in batch]
        return self._store.write(write)

    def update(self, task_id: int, changes: Doc | Callable[[Doc], Doc | None]) -> Doc | None:
        """Apply changes (or changes(copy of doc), called under the lock: compare-and-set)."""
        def write() -> Doc | None:
            current = self._live(task_id)
            if current is None:
                return None
            delta = changes(current) if callable(changes) else changes
            if not delta:
                return self._live(task_id)
            delta = {k: v for k, v in delta.items() if k != "id"}  # the id is not a field to change
            self._table.update(delta, doc_ids=[task_id])
            return self._live(task_id)
        return self._store.write(write)

    def delete_many(self, ids: Iterable[int]) -> list[int]:
        """Delete tasks and their logs; returns the ids that existed, in the order given."""
        def write() -> list[int]:
            wanted = []
            for task_id in ids:
                if self._exists(task_id) and task_id not in wanted:
                    wanted.append(task_id)
            self._table.remove(doc_ids=wanted)
            self._logs.remove(doc_ids=[i for i in wanted if i in self._lines.records])
            return wanted
        return self._store.write(write)

    def append_log(self, task_id: int, line: Doc, limit: int) -> None:
        """Keep the last `limit` lines; the journal record holds just this line."""
        def write() -> None:
            if self._exists(task_id):
                self._logs.append_line(task_id, line, limit)
        self._store.write(write)

    def archive_finished(self, older_than: datetime, batch: int = 5000) -> int:
        """Move finished tasks whose finished_at is before `older_than` to archive files.

        Works in batches (one archive file and one journal record each) so the lock is never
        held for long. Each file is on disk before its tasks leave the table: a crash in
        between may archive a task twice, never lose it. Returns how many tasks moved.
        """
        from appliance.storage.archive import write_archive

        cutoff = _as_utc(older_than)
        at = KEPT.index("finished_at")

        def one_batch() -> int:
            chosen = []
            for status in FINISHED:
                for task_id in self.index.ids("status", status):
                    try:
                        value = self._docs.value(task_id, at)
                        finished = _as_utc(datetime.fromisoformat(value or ""))
                    except (TypeError, ValueError):
                        continue
                    if finished < cutoff:
                        chosen.append(task_id)
            chosen = sorted(chosen)[:batch]
            if not chosen:
                return 0
            # Each row is the task's text with the log lines spliced in: they are not re-encoded.
            logs_kept = self._lines.records
            rows = []
            for task_id in chosen:
                text = self._docs.text_of(self._docs.records[task_id])
                logs = '"logs":[' + ",".join(logs_kept.get(task_id, ())) + "]}"
                rows.append(text[:-1] + ("," if text != "{}" else "") + logs)
            write_archive(self._store.state_dir / "archive", rows)  # durable before we delete
            self._table.remove(doc_ids=chosen)
            self._logs.remove(doc_ids=[i for i in chosen if i in self._lines.records])
            return len(chosen)

        total = 0
        while True:
            moved = self._store.write(one_batch)
            total += moved
            if moved < batch:
                return total

    # --- reads ---
    def get(self, task_id: int) -> Doc | None:
        with self._store.reading():
            doc = self._table.get(doc_id=task_id)  # a TinyDB Document, freshly decoded
            return dict(doc) if doc is not None else None

    def list(self, filters: Doc | None, offset: int, limit: int) -> tuple[list[Doc], int]:
        """One page, newest first (id descending), and the total matching. None means no filter;
        a frozenset matches any of its values (a group's serials)."""
        filters = {k: v if isinstance(v, frozenset) else frozenset((v,))
                   for k, v in (filters or {}).items() if v is not None}
        for key in filters:
            if key not in INDEXED:
                raise InvalidParams(f"cannot filter tasks by {key!r}; use one of {', '.join(INDEXED)}")
        offset, limit = max(0, int(offset)), max(0, int(limit))
        with self._store.reading():
            if not filters:
                ids = self.index.all
            else:
                # Walk the smallest bucket, checking the other fields on the records' values
                # (the queues of status and serial are within both of their buckets).
                both = "status" in filters and "serial" in filters
                pair: tuple[str, ...] = ("status", "serial") if both else ()
                lists: builtins.list[_Bucket] = [(_merged(self.index.ids(k, v) for v in values), (k,))
                                                 for k, values in filters.items() if k not in pair]
                if pair:
                    lists.append((_merged(self.index.queue(status, serial)
                                          for status in filters["status"]
                                          for serial in filters["serial"]), pair))
                lists.sort(key=lambda p: len(p[0]))
                ids, done = lists[0]
                rest = [(INDEXED.index(k), v) for k, v in filters.items() if k not in done]
                if rest:
                    value = self._docs.value
                    ids = [i for i in ids if all(value(i, pos) in v for pos, v in rest)]
            total = len(ids)
            stop = total - offset
            start = max(0, stop - limit)
            page = ids[start:stop] if stop > 0 else []
            return [self._docs[i] for i in reversed(page)], total

    def stats(self) -> dict[str, int]:
        with self._store.reading():
            out = {"total": len(self.index.all)}
            for status, name in STATUS_NAMES.items():
                out[name] = self.index.count("status", status)
            return out

    def ids_where(self, status: int | None = None, serial: str | None = None) -> builtins.list[int]:
        """Ids matching both given fields, ascending."""
        with self._store.reading():
            if status is None and serial is None:
                return list(self.index.all)
            if status is None:
                return list(self.index.ids("serial", serial))
            if serial is None:
                return list(self.index.ids("status", status))
            return list(self.index.queue(status, serial))

    def queues(self, serials: Iterable[str] | None = None) -> dict[str, builtins.list[int]]:
        """Pending task ids per phone, oldest first: of `serials` (phones without pending tasks
        left out), or of every phone that has pending tasks. Costs what it returns."""
        with self._store.reading():
            if serials is None:
                serials = self.index.serials(PENDING)
            return {serial: list(ids) for serial in serials
                    if (ids := self.index.queue(PENDING, serial))}

    def logs(self, task_id: int) -> builtins.list[Doc]:
        with self._store.reading():
            doc = self._lines.get(task_id)
            return doc["lines"] if doc else []

    def count(self) -> int:
        with self._store.reading():
            return len(self.index.all)

    def check(self) -> builtins.list[str]:
        """Problems between the table and its indexes (caller holds the lock)."""
        problems = []
        live = self._docs
        ids = sorted(live.records)
        if ids != self.index.all:
            problems.append("tasks index out of step with the tasks table")
        for doc_id in ids:
            held = live[doc_id].get("id")
            if held != doc_id:
                problems.append(f"task {doc_id} holds id {held!r}")
        fresh = TaskIndex()
        fresh.build(live.field_rows())
        if fresh.by != self.index.by or fresh.queues != self.index.queues:
            problems.append("tasks field indexes out of step with the tasks table")
        hw = self._storage.hw.get(TASKS, 0)
        if ids and ids[-1] > hw:
            problems.append(f"task id {ids[-1]} above the high-water mark {hw}")
        for doc_id in self._lines.records:
            if doc_id not in live.records:
                problems.append(f"logs kept for task {doc_id} which does not exist")
        return problems
