"""In-memory indexes of the tasks table: ids in order, ids per field value, counts for stats.

Kept up to date by a storage listener on every change (under the store lock), rebuilt in one
pass at open from the indexed values the tasks table keeps beside each document's text. Lists are sorted ascending by id; newest first means reading them backwards.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Any, Iterable

INDEXED = ("status", "serial", "script_name", "source", "username")
# Kept beside each task's text (the first ones are INDEXED): retention reads finished_at
# without decoding documents.
KEPT = INDEXED + ("finished_at",)


def _add(ids: list[int], doc_id: int) -> None:
    if not ids or ids[-1] < doc_id:
        ids.append(doc_id)  # the common case: new ids are always the highest
    else:
        insort(ids, doc_id)


def _remove(ids: list[int], doc_id: int) -> None:
    pos = bisect_left(ids, doc_id)
    if pos < len(ids) and ids[pos] == doc_id:
        del ids[pos]


class TaskIndex:
    """Sorted id lists: `all`, and `by[field][value]` for each field of INDEXED."""

    def __init__(self) -> None:
        self.all: list[int] = []
        self.by: dict[str, dict[Any, list[int]]] = {f: {} for f in INDEXED}

    def build(self, fields: Iterable[tuple[int, tuple]]) -> None:
        """Rebuild from (id, values of KEPT in order) pairs (only the INDEXED ones are used)."""
        pairs = sorted(fields, key=lambda p: p[0])
        self.all = [doc_id for doc_id, _ in pairs]
        for pos, values in enumerate(self.by.values()):
            values.clear()
            for doc_id, row in pairs:
                values.setdefault(row[pos], []).append(doc_id)

    def changed(self, doc_id: int, old: tuple | None, new: tuple | None) -> None:
        """Storage listener: move `doc_id` between buckets for the fields that changed."""
        if old is None and new is not None:
            _add(self.all, doc_id)
        elif new is None and old is not None:
            _remove(self.all, doc_id)
        for pos, values in enumerate(self.by.values()):
            before = old[pos] if old is not None else _ABSENT
            after = new[pos] if new is not None else _ABSENT
            if before is after or (before == after and type(before) is type(after)):
                continue
            if before is not _ABSENT:
                bucket = values.get(before)
                if bucket is not None:
                    _remove(bucket, doc_id)
                    if not bucket:
                        del values[before]
            if after is not _ABSENT:
                _add(values.setdefault(after, []), doc_id)

    def ids(self, field: str, value: Any) -> list[int]:
        return self.by[field].get(value, [])

    def count(self, field: str, value: Any) -> int:
        return len(self.by[field].get(value, ()))


_ABSENT = object()
