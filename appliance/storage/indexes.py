"""In-memory indexes of the tasks table: ids in order, ids per field value (and per status and
phone: the queues the dispatcher reads), counts for stats.

Kept up to date by a storage listener on every change (under the store lock), rebuilt in one
pass at open from the index fields of the tasks table's records. Lists are sorted ascending by
id; newest first means reading them backwards.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from typing import Any

INDEXED = ("status", "serial", "script_name", "source", "username")
# The index fields of the tasks table (the first ones are INDEXED): retention reads finished_at
# from the records without decoding documents.
KEPT = (*INDEXED, "finished_at")
STATUS, SERIAL = INDEXED.index("status"), INDEXED.index("serial")
_FEW = 64  # up to this many pending removals go one by one; more, and lists are filtered once


def _add(ids: list[int], doc_id: int) -> None:
    if not ids or ids[-1] < doc_id:
        ids.append(doc_id)  # the common case: new ids are always the highest
    else:
        insort(ids, doc_id)


def _remove(ids: list[int], doc_id: int) -> None:
    pos = bisect_left(ids, doc_id)
    if pos < len(ids) and ids[pos] == doc_id:
        del ids[pos]


def _same(a: Any, b: Any) -> bool:
    return a is b or (a == b and type(a) is type(b))


class TaskIndex:
    """Sorted id lists: `all`, `ids(field, value)` for each field of INDEXED, and per status the
    ids of each phone (`queue(status, serial)`: a phone's pending tasks without a scan).

    Removals are queued and applied on the next read or add, so deleting thousands of tasks
    (retention, batch delete) filters each list once instead of shifting it once per task.
    """

    def __init__(self) -> None:
        self._all: list[int] = []
        self._by: dict[str, dict[Any, list[int]]] = {f: {} for f in INDEXED}
        self._queues: dict[Any, dict[Any, list[int]]] = {}   # status -> serial -> ids
        self._gone: list[tuple[int, tuple[Any, ...]]] = []

    @property
    def all(self) -> list[int]:
        self._flush()
        return self._all

    @property
    def by(self) -> dict[str, dict[Any, list[int]]]:
        self._flush()
        return self._by

    def ids(self, field: str, value: Any) -> list[int]:
        self._flush()
        return self._by[field].get(value, [])

    def count(self, field: str, value: Any) -> int:
        return len(self.ids(field, value))

    @property
    def queues(self) -> dict[Any, dict[Any, list[int]]]:
        self._flush()
        return self._queues

    def queue(self, status: Any, serial: Any) -> list[int]:
        """Ids of the tasks of `serial` in `status`."""
        self._flush()
        return self._queues.get(status, {}).get(serial, [])

    def serials(self, status: Any) -> list[Any]:
        """The serials that have tasks in `status`."""
        self._flush()
        return list(self._queues.get(status, ()))

    def build(self, fields: Iterable[tuple[int, tuple[Any, ...]]]) -> None:
        """Rebuild from (id, values of KEPT in order) pairs (only the INDEXED ones are used)."""
        pairs = sorted(fields, key=lambda p: p[0])
        self._gone = []
        self._all = [doc_id for doc_id, _ in pairs]
        for pos, values in enumerate(self._by.values()):
            values.clear()
            for doc_id, row in pairs:
                values.setdefault(row[pos], []).append(doc_id)
        self._queues = {}
        for doc_id, row in pairs:
            self._queues.setdefault(row[STATUS], {}).setdefault(row[SERIAL], []).append(doc_id)

    def changed(self, doc_id: int, old: tuple[Any, ...] | None, new: tuple[Any, ...] | None) -> None:
        """Storage listener: move `doc_id` between buckets for the fields that changed."""
        if new is None:
            if old is not None:
                self._gone.append((doc_id, old))
            return
        self._flush()
        if old is None:
            _add(self._all, doc_id)
        for pos, values in enumerate(self._by.values()):
            before = old[pos] if old is not None else _ABSENT
            after = new[pos]
            if _same(before, after):
                continue
            if before is not _ABSENT:
                self._drop(values, before, doc_id)
            _add(values.setdefault(after, []), doc_id)
        if old is None or not (_same(old[STATUS], new[STATUS]) and _same(old[SERIAL], new[SERIAL])):
            if old is not None:
                self._unqueue(old, doc_id)
            _add(self._queues.setdefault(new[STATUS], {}).setdefault(new[SERIAL], []), doc_id)

    def _drop(self, values: dict[Any, list[int]], value: Any, doc_id: int) -> None:
        bucket = values.get(value)
        if bucket is not None:
            _remove(bucket, doc_id)
            if not bucket:
                del values[value]

    def _unqueue(self, old: tuple[Any, ...], doc_id: int) -> None:
        serials = self._queues.get(old[STATUS])
        if serials is not None:
            self._drop(serials, old[SERIAL], doc_id)
            if not serials:
                del self._queues[old[STATUS]]

    def _flush(self) -> None:
        if not self._gone:
            return
        gone, self._gone = self._gone, []
        if len(gone) <= _FEW:
            for doc_id, old in gone:
                _remove(self._all, doc_id)
                for pos, values in enumerate(self._by.values()):
                    self._drop(values, old[pos], doc_id)
                self._unqueue(old, doc_id)
            return
        dead = {doc_id for doc_id, _ in gone}
        self._all[:] = [i for i in self._all if i not in dead]
        for pos, values in enumerate(self._by.values()):
            _filter(values, {old[pos] for _, old in gone}, dead)
        for status in {old[STATUS] for _, old in gone}:
            serials = self._queues.get(status, {})
            _filter(serials, {old[SERIAL] for _, old in gone if _same(old[STATUS], status)}, dead)
            if not serials:
                self._queues.pop(status, None)


def _filter(values: dict[Any, list[int]], keys: Iterable[Any], dead: set[int]) -> None:
    """Remove the `dead` ids from the buckets of `keys`; drop buckets left empty."""
    for key in keys:
        bucket = values.get(key)
        if bucket is not None:
            bucket[:] = [i for i in bucket if i not in dead]
            if not bucket:
                del values[key]


_ABSENT = object()
