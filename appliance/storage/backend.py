"""TinyDB on a journal: `JournalStorage` holds the live tables, `JournalTable` writes deltas.

Stock TinyDB reads and rewrites the whole table on every write; here a write touches only the
documents it changes, and each transaction becomes one journal record. Live documents are kept
as their JSON text (immutable: a shallow copy of a table is a consistent snapshot, reads decode
a fresh deep copy, and snapshots need no re-encoding). Callers hold the store lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from appliance.storage.journal import Journal

_GONE = object()
# ASCII-only text: any str survives (even a lone surrogate, which UTF-8 cannot encode), the C
# encoder is faster, and CPython keeps ASCII strings at one byte per character.
dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False).encode
loads = json.loads

# listener(doc_id, old index fields or None, new index fields or None), after each change
Listener = Callable[[int, Any, Any], None]


def _hashable(value: Any) -> Any:
    # An index key must be hashable; a list or object where a scalar belongs is kept as text.
    return dumps(value) if isinstance(value, (dict, list)) else value


class DocTable(Mapping):
    """A live table as TinyDB reads it (str id -> doc); stores each doc as its JSON text.

    `raw` maps str id -> text. If `index_fields` is set, `fields` maps int id -> the tuple of
    those fields' values, so indexes and filters never need to decode a document.
    """

    kind = "docs"

    def __init__(self, index_fields: tuple[str, ...] = ()):
        self.raw: dict[str, Any] = {}
        self.index_fields = index_fields
        self.fields: dict[int, tuple] = {}

    # Mapping interface (what TinyDB's Table reads)
    def __getitem__(self, key: str) -> dict:
        return loads(self.raw[key])

    def get(self, key: str, default: Any = None) -> Any:
        text = self.raw.get(key)
        return default if text is None else loads(text)

    def __contains__(self, key: object) -> bool:
        return key in self.raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    # raw access for the storage
    def fields_of(self, doc: dict) -> tuple:
        get = doc.get
        row = tuple([get(f) for f in self.index_fields])
        try:
            hash(row)
            return row
        except TypeError:
            return tuple([_hashable(v) for v in row])

    def set_raw(self, key: str, raw: Any, doc: dict | None = None) -> tuple[Any, Any, Any]:
        """Store raw (text, or None to delete); returns (old raw, old fields, new fields)."""
        old = self.raw.get(key)
        old_fields = new_fields = None
        if self.index_fields:
            old_fields = self.fields.pop(int(key), None)
        if raw is None:
            self.raw.pop(key, None)
        else:
            self.raw[key] = raw
            if self.index_fields:
                new_fields = self.fields_of(doc if doc is not None else loads(raw))
                self.fields[int(key)] = new_fields
        return old, old_fields, new_fields

    def text_of(self, raw: Any) -> str:
        return raw

    def raw_of(self, text: str) -> Any:
        return text

    def appended(self, key: str, item_text: str, limit: int) -> Any:
        raise TypeError("append is only for line tables")


class LineTable(DocTable):
    """A table of bounded line lists (logs): doc {"lines": [...]}, stored as a tuple of texts.

    Appending one line costs one line, not the whole list: the journal record is the line.
    """

    kind = "lines"

    def __getitem__(self, key: str) -> dict:
        return {"lines": [loads(t) for t in self.raw[key]]}

    def get(self, key: str, default: Any = None) -> Any:
        lines = self.raw.get(key)
        return default if lines is None else {"lines": [loads(t) for t in lines]}

    def set_raw(self, key: str, raw: Any, doc: dict | None = None) -> tuple[Any, Any, Any]:
        old = self.raw.get(key)
        if raw is None:
            self.raw.pop(key, None)
        else:
            self.raw[key] = raw
        return old, None, None

    def text_of(self, raw: Any) -> str:
        return '{"lines":[' + ",".join(raw) + "]}"

    def raw_of(self, text: str) -> Any:
        return tuple(dumps(line) for line in loads(text).get("lines", ()))

    def appended(self, key: str, item_text: str, limit: int) -> Any:
        old = self.raw.get(key, ())
        return (old[-(limit - 1):] if limit > 1 else ()) + (item_text,)


class _Tracked(MutableMapping):
    """The table as a TinyDB updater sees it (int ids): reads decode copies, writes are noted."""

    def __init__(self, live: DocTable):
        self.live = live
        self.changed: dict[int, Any] = {}

    def __getitem__(self, doc_id: int) -> Any:
        if doc_id in self.changed:
            value = self.changed[doc_id]
            if value is _GONE:
                raise KeyError(doc_id)
            return value
        value = self.live[str(doc_id)]  # a fresh decode: the updater may mutate it freely
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
        return str(doc_id) in self.live.raw

    def __iter__(self) -> Iterator[int]:
        seen = set()
        for key in list(self.live.raw):
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
    """TinyDB storage whose `read()` is the live tables ({name: DocTable}).

    Writes do not go through `write()` (that would be the whole database) but through
    `transaction()`: changes apply to memory at once, with undo, and become one journal record
    when the outermost transaction ends. Set `journal` before the first write.
    """

    def __init__(self, layout: dict[str, Callable[[], DocTable]]):
        self.layout = layout  # table name -> factory; unknown names get a plain DocTable
        self.tables: dict[str, DocTable] = {name: make() for name, make in layout.items()}
        self.hw: dict[str, int] = {}
        self.journal: Journal | None = None
        self.listeners: dict[str, list[Listener]] = {}
        self.on_commit: Callable[[], None] | None = None  # e.g. start a snapshot when large
        self._ops: list[str] | None = None
        self._undo: list[tuple[str, str, Any]] = []
        self._depth = 0
        self.last_seq = 0

    def table(self, name: str) -> DocTable:
        live = self.tables.get(name)
        if live is None:
            live = self.tables[name] = self.layout.get(name, DocTable)()
        return live

    # --- TinyDB's Storage interface ---
    def read(self) -> dict[str, DocTable]:
        return self.tables

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        raise NotImplementedError("JournalStorage writes per document through JournalTable")

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
                payload = ('{"ops":[' + ",".join(ops) + '],"hw":' + dumps(self.hw) + "}").encode()
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
            self._set(table, key, old)

    def next_id(self, table: str) -> int:
        self.hw[table] = self.hw.get(table, 0) + 1
        return self.hw[table]

    def _set(self, table: str, key: str, raw: Any, doc: dict | None = None) -> Any:
        old, old_fields, new_fields = self.table(table).set_raw(key, raw, doc)
        if old_fields != new_fields or (old_fields is None) != (new_fields is None):
            for listener in self.listeners.get(table, ()):
                listener(int(key), old_fields, new_fields)
        return old

    def put(self, table: str, doc_id: int, doc: dict, text: str | None = None) -> None:
        """Insert or replace one document."""
        if text is None:
            text = dumps(doc)
        live = self.table(table)
        self._record('["put",' + dumps(table) + "," + str(int(doc_id)) + "," + text + "]")
        if doc_id > self.hw.get(table, 0):
            self.hw[table] = doc_id
        self._undo.append((table, str(doc_id), self._set(table, str(doc_id), live.raw_of(text), doc)))

    def delete(self, table: str, doc_id: int) -> None:
        self._record('["del",' + dumps(table) + "," + str(int(doc_id)) + "]")
        self._undo.append((table, str(doc_id), self._set(table, str(doc_id), None)))

    def append(self, table: str, doc_id: int, item: Any, limit: int) -> None:
        """Append `item` to a line table's list, keeping the last `limit`; the record is the item."""
        text = dumps(item)
        live = self.table(table)
        key = str(doc_id)
        self._record('["app",%s,%d,"lines",%s,%d]' % (dumps(table), doc_id, text, limit))
        self._undo.append((table, key, self._set(table, key, live.appended(key, text, limit))))

    def _record(self, op: str) -> None:
        if self._ops is None:
            raise RuntimeError("store writes must happen inside storage.transaction()")
        self._ops.append(op)

    # --- loading ---
    def replay(self, record: dict[str, Any]) -> None:
        """Apply one journal transaction at open (no journal write, no undo)."""
        for op in record["ops"]:
            kind, table, doc_id = op[0], op[1], op[2]
            key = str(doc_id)
            live = self.table(table)
            if kind == "put":
                self._set(table, key, live.raw_of(dumps(op[3])), op[3])
            elif kind == "del":
                self._set(table, key, None)
            elif kind == "app":
                self._set(table, key, live.appended(key, dumps(op[4]), op[5]))
            else:
                raise ValueError(f"unknown operation {kind!r}")
        for table, value in record.get("hw", {}).items():
            if value > self.hw.get(table, 0):
                self.hw[table] = value

    def copy(self) -> tuple[dict[str, tuple[DocTable, dict, dict]], dict[str, int]]:
        """A consistent copy for a snapshot: raw values are immutable, so shallow is enough."""
        return ({name: (t, dict(t.raw), dict(t.fields)) for name, t in self.tables.items()},
                dict(self.hw))

    def load_docs(self, table: str, docs: dict[str, dict]) -> None:
        """Fill a table from decoded docs (migration); no journal record."""
        live = self.table(table)
        for key, doc in docs.items():
            live.set_raw(str(key), live.raw_of(dumps(doc)), doc)


class JournalTable(Table):
    """A TinyDB Table whose writes cost what they change: deltas go to the storage's journal."""

    _storage: JournalStorage

    def _read_table(self) -> DocTable:  # type: ignore[override]
        return self._storage.table(self.name)

    def _get_next_id(self) -> int:
        # CONTRACT: ids never reused; the high-water mark travels in every journal record.
        return self._storage.next_id(self.name)

    def _update_table(self, updater: Callable[[dict], None]) -> None:
        storage = self._storage
        live = storage.table(self.name)
        tracked = _Tracked(live)
        updater(tracked)  # type: ignore[arg-type]
        with storage.transaction():
            for doc_id, doc in tracked.changed.items():
                key = str(doc_id)
                if doc is _GONE:
                    if key in live.raw:
                        storage.delete(self.name, doc_id)
                    continue
                text = dumps(doc)
                old = live.raw.get(key)
                if old is None or live.text_of(old) != text:
                    storage.put(self.name, doc_id, doc, text)
        self.clear_cache()

    def __len__(self) -> int:
        return len(self._read_table())

    def append_line(self, doc_id: int, item: Any, limit: int) -> None:
        with self._storage.transaction():
            self._storage.append(self.name, doc_id, item, limit)
        self.clear_cache()


class JournalTinyDB(TinyDB):
    """TinyDB whose tables are JournalTables."""

    table_class = JournalTable
