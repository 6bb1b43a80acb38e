"""TinyDB on a journal: `JournalStorage` holds the live tables, `JournalTable` writes deltas.

Stock TinyDB reads and rewrites the whole table on every write; here a write touches only the
documents it changes, and each transaction becomes one journal record. Any thread may call,
always under the store's lock (the caller holds it); `wait_durable` is called after releasing it.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from appliance.storage.journal import Journal

_GONE = object()
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_loads = json.loads

# listener(doc_id, old_doc_or_None, new_doc_or_None), called after each change to a table
Listener = Callable[[int, Any, Any], None]


def clone(value: Any) -> Any:
    """Deep copy of JSON data (dicts and lists), several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


class _Tracked(MutableMapping):
    """The table as a TinyDB updater sees it (int ids): reads hand out copies, writes are noted.

    The live documents are never mutated in place (copy on write), so a shallow copy of a live
    table is a consistent snapshot the background thread may serialise without the lock.
    """

    def __init__(self, live: dict[str, Any]):
        self.live = live
        self.changed: dict[int, Any] = {}

    def __getitem__(self, doc_id: int) -> Any:
        if doc_id in self.changed:
            value = self.changed[doc_id]
            if value is _GONE:
                raise KeyError(doc_id)
            return value
        value = clone(self.live[str(doc_id)])
        self.changed[doc_id] = value
        return value

    def __setitem__(self, doc_id: int, doc: Any) -> None:
        self.changed[int(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self.changed[doc_id] = _GONE

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self.changed:
            return self.changed[doc_id] is not _GONE
        return str(doc_id) in self.live

    def __iter__(self) -> Iterator[int]:
        seen = set()
        for key in list(self.live):
            doc_id = int(key)
            seen.add(doc_id)
            if self.changed.get(doc_id) is not _GONE:
                yield doc_id
        for doc_id, value in list(self.changed.items()):
            if doc_id not in seen and value is not _GONE:
                yield doc_id

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        for doc_id in list(self):
            self.changed[doc_id] = _GONE


class JournalStorage(Storage):
    """TinyDB storage whose `read()` is the live in-memory tables ({name: {str id: doc}}).

    Writes do not go through `write()` (that would be the whole database) but through
    `transaction()`: changes apply to memory at once, with undo, and become one journal record
    when the outermost transaction ends. Set `journal` before the first write.
    """

    def __init__(self, tables: dict[str, dict[str, Any]] | None = None,
                 hw: dict[str, int] | None = None):
        self.tables: dict[str, dict[str, Any]] = tables if tables is not None else {}
        self.hw: dict[str, int] = dict(hw or {})
        self.journal: Journal | None = None
        self.listeners: dict[str, list[Listener]] = {}
        self.on_commit: Callable[[], None] | None = None  # e.g. start a snapshot when large
        self._ops: list[str] | None = None
        self._undo: list[tuple[str, str, Any]] = []
        self._depth = 0
        self.last_seq = 0

    # --- TinyDB's Storage interface ---
    def read(self) -> dict[str, dict[str, Any]]:
        return self.tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError("JournalStorage writes per document through JournalTable")

    def close(self) -> None:
        pass

    # --- transactions ---
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group changes into one journal record; an exception undoes them all."""
        if self._depth == 0:
            self._ops, self._undo = [], []
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self._rollback()
            raise
        self._depth -= 1
        if self._depth == 0:
            ops, self._ops = self._ops, None
            if ops:
                hw = _dumps(self.hw)
                payload = ('{"ops":[' + ",".join(ops) + '],"hw":' + hw + "}").encode()
                try:
                    self.last_seq = self.journal.append(payload)
                except BaseException:
                    self._ops = []
                    self._rollback()
                    raise
            self._undo = []
            if ops and self.on_commit:
                self.on_commit()

    def _rollback(self) -> None:
        undo, self._undo, self._ops = self._undo, [], None
        for table, key, old in reversed(undo):
            self._apply(table, key, old)

    def next_id(self, table: str) -> int:
        self.hw[table] = self.hw.get(table, 0) + 1
        return self.hw[table]

    def _apply(self, table: str, key: str, doc: Any) -> Any:
        live = self.tables.setdefault(table, {})
        old = live.get(key)
        if doc is None:
            live.pop(key, None)
        else:
            live[key] = doc
        for listener in self.listeners.get(table, ()):
            listener(int(key), old, doc)
        return old

    def put(self, table: str, doc_id: int, doc: Any) -> Any:
        """Insert or replace one document (normalised through JSON); returns the live copy."""
        text = _dumps(doc)
        live_doc = _loads(text)
        self._record('["put",' + _dumps(table) + "," + str(int(doc_id)) + "," + text + "]")
        if doc_id > self.hw.get(table, 0):
            self.hw[table] = doc_id
        self._undo.append((table, str(doc_id), self._apply(table, str(doc_id), live_doc)))
        return live_doc

    def delete(self, table: str, doc_id: int) -> None:
        self._record('["del",' + _dumps(table) + "," + str(int(doc_id)) + "]")
        self._undo.append((table, str(doc_id), self._apply(table, str(doc_id), None)))

    def append(self, table: str, doc_id: int, field: str, item: Any, limit: int) -> None:
        """Append `item` to doc[field], keeping the last `limit`; the record holds only `item`."""
        text = _dumps(item)
        key = str(doc_id)
        old = self.tables.get(table, {}).get(key)
        new = dict(old) if old else {}
        new[field] = (list(new.get(field, ())) + [_loads(text)])[-limit:]
        self._record("[\"app\",%s,%d,%s,%s,%d]" % (_dumps(table), doc_id, _dumps(field), text, limit))
        self._undo.append((table, key, self._apply(table, key, new)))

    def _record(self, op: str) -> None:
        if self._ops is None:
            raise RuntimeError("store writes must happen inside storage.transaction()")
        self._ops.append(op)

    # --- replay ---
    def replay(self, record: dict[str, Any]) -> None:
        """Apply one journal transaction at open (no journal write, no undo)."""
        for op in record["ops"]:
            kind, table, doc_id = op[0], op[1], op[2]
            key = str(doc_id)
            if kind == "put":
                self._apply(table, key, op[3])
            elif kind == "del":
                self._apply(table, key, None)
            elif kind == "app":
                field, item, limit = op[3], op[4], op[5]
                old = self.tables.get(table, {}).get(key)
                new = dict(old) if old else {}
                new[field] = (list(new.get(field, ())) + [item])[-limit:]
                self._apply(table, key, new)
            else:
                raise ValueError(f"unknown operation {kind!r}")
        for table, value in record.get("hw", {}).items():
            if value > self.hw.get(table, 0):
                self.hw[table] = value


class JournalTable(Table):
    """A TinyDB Table whose writes cost what they change: deltas go to the storage's journal."""

    _storage: JournalStorage

    def _read_table(self) -> dict[str, Any]:
        return self._storage.tables.get(self.name, {})

    def _get_next_id(self) -> int:
        # CONTRACT: ids never reused; the high-water mark travels in every journal record.
        return self._storage.next_id(self.name)

    def _update_table(self, updater: Callable[[dict], None]) -> None:
        storage = self._storage
        live = storage.tables.setdefault(self.name, {})
        tracked = _Tracked(live)
        updater(tracked)  # type: ignore[arg-type]
        with storage.transaction():
            for doc_id, doc in tracked.changed.items():
                key = str(doc_id)
                if doc is _GONE:
                    if key in live:
                        storage.delete(self.name, doc_id)
                elif live.get(key) != doc:
                    storage.put(self.name, doc_id, doc)
        self.clear_cache()

    def __len__(self) -> int:
        return len(self._read_table())

    def append_to(self, doc_id: int, field: str, item: Any, limit: int) -> None:
        with self._storage.transaction():
            self._storage.append(self.name, doc_id, field, item, limit)
        self.clear_cache()


class JournalTinyDB(TinyDB):
    """TinyDB whose tables are JournalTables."""

    table_class = JournalTable
