"""TinyDB on a journal: `JournalStorage` holds the live tables, `JournalTable` writes deltas.

Stock TinyDB reads and rewrites the whole table on every write; here a write touches only the
documents it changes, and each transaction becomes one journal record. Live documents are kept
as compact immutable records (see `DocTable`): a shallow copy of a table is a consistent
snapshot, and reads decode a fresh deep copy. Callers hold the store lock.

TinyDB is extended only through its public extension points: a `Storage` subclass (whose
`read()` hands out the live tables), a `Table` subclass overriding public methods only, and
`TinyDB.table_class`. No private TinyDB method is called or overridden.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, cast

from tinydb import TinyDB
from tinydb.queries import QueryLike
from tinydb.storages import Storage
from tinydb.table import Table

from appliance.storage.journal import Journal

# ASCII-only text: any str survives (even a lone surrogate, which UTF-8 cannot encode), the C
# encoder is faster, and CPython keeps ASCII strings at one byte per character.
dumps = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), check_circular=False).encode
loads = json.loads

# A stored document as JSON reads it: the repos hand out fresh copies of these.
Doc = dict[str, Any]
# A live document: its values in order, then its shape's number (see `DocTable`); a line
# table's record is the tuple of its lines' JSON texts.
Record = tuple[Any, ...]
# The values of a table's index fields in one record (None: absent), as `DocTable` reads them.
Fields = tuple[Any, ...]
# listener(doc_id, old index fields or None, new index fields or None), after each change
Listener = Callable[[int, Fields | None, Fields | None], None]

# Kept as they are, like strings; anything else (lists, objects) as JSON text.
_PLAIN = (int, float, bool, type(None))
# Characters the pool of a table may hold (each string counted with its entry's overhead): it
# only shares the strings of new documents, so clearing it when full loses no data.
POOL_CHARS = 1 << 20


class Shape:
    """The field names of a kind of document, in order; which values are JSON text (lists and
    objects); where each of the table's index fields sits (-1: absent). Shared by records."""

    __slots__ = ("kept", "keys", "nested")

    def __init__(self, keys: tuple[str, ...], nested: tuple[int, ...], index_fields: tuple[str, ...]) -> None:
        self.keys, self.nested = keys, nested
        where = {key: pos for pos, key in enumerate(keys)}
        self.kept = tuple(where.get(name, -1) for name in index_fields)


class DocTable(Mapping[str, Doc]):
    """A live table as TinyDB reads it (str id -> doc), each document kept as a record.

    A record is a tuple: the document's values in order, then the number of its `Shape` in the
    table (not the object: a tuple of strings and numbers only is not tracked by the cyclic
    GC, which would otherwise walk every record at each full collection). Lists and objects
    are kept as JSON text (immutable, decoded afresh by every read). Strings of new documents go
    through a pool, so the values that many documents repeat (serial, script name, the
    script_config of a batch, created_at) are held once. The values of `index_fields` are read
    from the records without decoding anything.
    """

    kind = "docs"

    def __init__(self, index_fields: tuple[str, ...] = ()) -> None:
        self.records: dict[int, Record] = {}
        self.index_fields = index_fields
        self._shape_ids: dict[tuple[tuple[str, ...], tuple[int, ...]], int] = {}
        self._shapes: list[Shape] = []
        self._pool: dict[str, str] = {}
        self._pool_chars = 0

    # Mapping interface (what TinyDB's Table reads)
    def __getitem__(self, key: str | int) -> Doc:
        return self.doc_of(self.records[int(key)])

    def get(self, key: str | int, default: Doc | None = None) -> Doc | None:  # type: ignore[override]
        record = self.records.get(int(key))
        return default if record is None else self.doc_of(record)

    def __contains__(self, key: object) -> bool:
        try:
            return int(key) in self.records  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    def __iter__(self) -> Iterator[str]:
        return map(str, list(self.records))

    def __len__(self) -> int:
        return len(self.records)

    # records
    def record_of(self, doc: Doc, old: Record | None = None, pool: dict[str, str] | None = None) -> Record:
        """`doc` as a record. Strings equal to those of `old` (the record it replaces) are reused;
        those of a new document go through `pool` (default: the table's own)."""
        if old is not None:
            pool = {value: value for value in old if value.__class__ is str}
        elif pool is None:
            pool = self._pool
            if self._pool_chars > POOL_CHARS:
                pool.clear()
                self._pool_chars = 0
        values: list[Any] = []
        nested = []
        added = 0
        for value in doc.values():
            cls = value.__class__
            if cls is not str:
                if cls in _PLAIN:
                    values.append(value)
                    continue
                nested.append(len(values))
                value = dumps(value)
            shared = pool.get(value)
            if shared is None:
                pool[value] = shared = value
                added += len(value) + 64   # with the pool entry's own overhead
            values.append(shared)
        if pool is self._pool:
            self._pool_chars += added
        shape_id = self._shape_ids.get((tuple(doc), tuple(nested)))
        if shape_id is None:
            if not all(key.__class__ is str for key in doc):
                return self.record_of(loads(dumps(doc)), old, pool)  # JSON makes keys strings
            shape_id = self._shape_ids[(tuple(doc), tuple(nested))] = len(self._shapes)
            self._shapes.append(Shape(tuple(doc), tuple(nested), self.index_fields))
        values.append(shape_id)
        return tuple(values)

    def shape(self, record: Record) -> Shape:
        shape: Shape = self._shapes[record[-1]]
        return shape

    def doc_of(self, record: Record) -> Doc:
        shape = self.shape(record)
        doc = dict(zip(shape.keys, record, strict=False))  # the record ends with its shape's number
        for pos in shape.nested:
            doc[shape.keys[pos]] = loads(record[pos])
        return doc

    def text_of(self, record: Record) -> str:
        return dumps(self.doc_of(record))

    @staticmethod
    def same(a: Record, b: Record) -> bool:
        """Equal records, type for type (1, 1.0 and True differ in JSON)."""
        return len(a) == len(b) and all(
            x is y or (x.__class__ is y.__class__ and x == y) for x, y in zip(a, b, strict=True))

    def field_rows(self) -> Iterator[tuple[int, Fields]]:
        """(id, values of `index_fields`) of every document; None for an absent field."""
        fields = self._fields
        return ((doc_id, fields(record)) for doc_id, record in self.records.items())

    def value(self, doc_id: int, index_pos: int) -> Any:
        """One index field's value (the `index_pos`-th of `index_fields`) of an existing doc."""
        record = self.records[doc_id]
        pos = self.shape(record).kept[index_pos]
        return record[pos] if pos >= 0 else None

    def _fields(self, record: Record) -> Fields:
        return tuple([record[pos] if pos >= 0 else None for pos in self.shape(record).kept])

    def set_record(self, key: int,
                   record: Record | None) -> tuple[Record | None, Fields | None, Fields | None]:
        """Store a record (None deletes); returns (old record, old fields, new fields)."""
        old = self.records.pop(key, None) if record is None else self.records.get(key)
        if record is not None:
            self.records[key] = record
        if not self.index_fields:
            return old, None, None
        return (old, None if old is None else self._fields(old),
                None if record is None else self._fields(record))

    def appended(self, key: int, item_text: str, limit: int) -> Record:
        raise TypeError("append is only for line tables")


class LineTable(DocTable):
    """A table of bounded line lists (logs): doc {"lines": [...]}, stored as a tuple of texts.

    Appending one line costs one line, not the whole list: the journal record is the line.
    """

    kind = "lines"

    def record_of(self, doc: Doc, old: Record | None = None, pool: dict[str, str] | None = None) -> Record:
        return tuple(dumps(line) for line in doc.get("lines", ()))

    def doc_of(self, record: Record) -> Doc:
        return {"lines": [loads(text) for text in record]}

    def text_of(self, record: Record) -> str:
        return '{"lines":[' + ",".join(record) + "]}"

    @staticmethod
    def same(a: Record, b: Record) -> bool:
        return a == b

    def appended(self, key: int, item_text: str, limit: int) -> Record:
        old = self.records.get(key, ())
        return (old[-(limit - 1):] if limit > 1 else ()) + (item_text,)


class _Tracked(MutableMapping[int, Doc]):
    """The table as a TinyDB updater sees it (int ids): reads decode copies, writes are noted."""

    def __init__(self, live: DocTable) -> None:
        self.live = live
        self.changed: dict[int, Doc | None] = {}  # None: deleted

    def __getitem__(self, doc_id: int) -> Doc:
        if doc_id in self.changed:
            value = self.changed[doc_id]
            if value is None:
                raise KeyError(doc_id)
            return value
        value = self.live[doc_id]  # a fresh decode: the updater may mutate it freely
        self.changed[doc_id] = value
        return value

    def __setitem__(self, doc_id: int, doc: Doc) -> None:
        self.changed[int(doc_id)] = doc

    def __delitem__(self, doc_id: int) -> None:
        if doc_id not in self:
            raise KeyError(doc_id)
        self.changed[doc_id] = None

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self.changed:
            return self.changed[doc_id] is not None
        return doc_id in self.live.records

    def __iter__(self) -> Iterator[int]:
        seen = set()
        for doc_id in list(self.live.records):
            seen.add(doc_id)
            if doc_id not in self.changed or self.changed[doc_id] is not None:
                yield doc_id
        for doc_id, value in list(self.changed.items()):
            if doc_id not in seen and value is not None:
                yield doc_id

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        for doc_id in list(self):
            self.changed[doc_id] = None


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
        self._undo: list[tuple[str, int, Record | None]] = []
        self._depth = 0
        self.last_seq = 0

    def table(self, name: str) -> DocTable:
        live = self.tables.get(name)
        if live is None:
            live = self.tables[name] = self.layout.get(name, DocTable)()
        return live

    # --- TinyDB's Storage interface ---
    def read(self) -> dict[str, dict[str, Any]]:
        # TinyDB's reads use only the Mapping interface of a table, which `DocTable` is.
        return cast("dict[str, dict[str, Any]]", self.tables)

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
                if self.journal is None:
                    raise RuntimeError("JournalStorage.journal must be set before the first write")
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

    def _set(self, table: str, doc_id: int, record: Record | None) -> Record | None:
        old, old_fields, new_fields = self.table(table).set_record(doc_id, record)
        if old_fields != new_fields or (old_fields is None) != (new_fields is None):
            for listener in self.listeners.get(table, ()):
                listener(doc_id, old_fields, new_fields)
        return old

    def put(self, table: str, doc_id: int, doc: Doc, record: Record | None = None) -> None:
        """Insert or replace one document (`record`: its record, if the caller made it)."""
        doc_id = int(doc_id)
        live = self.table(table)
        if record is None:
            record = live.record_of(doc, live.records.get(doc_id))
        self._record('["put",' + dumps(table) + "," + str(doc_id) + "," + dumps(doc) + "]")
        if doc_id > self.hw.get(table, 0):
            self.hw[table] = doc_id
        self._undo.append((table, doc_id, self._set(table, doc_id, record)))

    def delete(self, table: str, doc_id: int) -> None:
        doc_id = int(doc_id)
        self._record('["del",' + dumps(table) + "," + str(doc_id) + "]")
        self._undo.append((table, doc_id, self._set(table, doc_id, None)))

    def append(self, table: str, doc_id: int, item: Any, limit: int) -> None:
        """Append `item` to a line table's list, keeping the last `limit`; the record is the item."""
        text = dumps(item)
        live = self.table(table)
        self._record(f'["app",{dumps(table)},{doc_id:d},"lines",{text},{limit:d}]')
        record = live.appended(doc_id, text, limit)
        self._undo.append((table, doc_id, self._set(table, doc_id, record)))

    def _record(self, op: str) -> None:
        if self._ops is None:
            raise RuntimeError("store writes must happen inside storage.transaction()")
        self._ops.append(op)

    # --- loading ---
    def replay(self, record: dict[str, Any], pool: dict[str, str] | None = None) -> None:
        """Apply one journal transaction at open (no journal write, no undo); `pool` shares equal
        strings across everything loaded."""
        for op in record["ops"]:
            kind, table, doc_id = op[0], op[1], int(op[2])
            live = self.table(table)
            if kind == "put":
                self._set(table, doc_id, live.record_of(op[3], pool=pool))
            elif kind == "del":
                self._set(table, doc_id, None)
            elif kind == "app":
                self._set(table, doc_id, live.appended(doc_id, dumps(op[4]), op[5]))
            else:
                raise ValueError(f"unknown operation {kind!r}")
        for table, value in record.get("hw", {}).items():
            if value > self.hw.get(table, 0):
                self.hw[table] = value

    def copy(self) -> tuple[dict[str, tuple[DocTable, dict[int, Record]]], dict[str, int]]:
        """A consistent copy for a snapshot: records are immutable, so shallow is enough."""
        return {name: (t, dict(t.records)) for name, t in self.tables.items()}, dict(self.hw)

    def load_docs(self, table: str, docs: dict[str, Doc]) -> None:
        """Fill a table from decoded docs (migration); no journal record."""
        live, pool = self.table(table), dict[str, str]()
        for key, doc in docs.items():
            live.set_record(int(key), live.record_of(doc, pool=pool))


class JournalTable(Table):
    """A TinyDB Table whose writes cost what they change: deltas go to the storage's journal.

    Only TinyDB's public surface is used. Reads are the stock ones (`get`, `all`, `search`,
    `__iter__`, `__len__`...): they go through `Storage.read()`, which hands out the live
    `DocTable`s. The public write methods (`insert`, `insert_multiple`, `update`,
    `update_multiple`, `remove`, `truncate`; `upsert` is built on them) are overridden to write
    per document into the journal instead of rewriting the whole database through
    `Storage.write()`. Ids come from the storage's high-water mark, so they are never reused.
    """

    def __init__(self, storage: Storage, name: str,
                 cache_size: int = Table.default_query_cache_capacity, persist_empty: bool = False) -> None:
        if not isinstance(storage, JournalStorage) or persist_empty:
            raise TypeError("a JournalTable needs a JournalStorage (and no persist_empty)")
        super().__init__(storage, name, cache_size=cache_size)
        self.journal = storage

    def _live(self) -> DocTable:
        return self.journal.table(self.name)

    def _commit(self, changed: Mapping[int, Doc | None]) -> None:
        """Write the documents in `changed` (None: deleted) as one transaction."""
        storage, live, name = self.journal, self._live(), self.name
        try:
            with storage.transaction():
                for doc_id, doc in changed.items():
                    old = live.records.get(doc_id)
                    if doc is None:
                        if old is not None:
                            storage.delete(name, doc_id)
                        continue
                    record = live.record_of(doc, old)
                    if old is None or not live.same(old, record):
                        storage.put(name, doc_id, doc, record)
        finally:
            self.clear_cache()

    def _new_doc(self, document: Mapping[str, Any], live: DocTable,
                 taken: Mapping[int, Doc]) -> tuple[int, Doc]:
        if not isinstance(document, Mapping):
            raise ValueError("Document is not a Mapping")
        if isinstance(document, self.document_class):
            doc_id = int(document.doc_id)
            if doc_id in live.records or doc_id in taken:
                raise ValueError(f"Document with ID {doc_id} already exists")
        else:
            # Ids are never reused: the high-water mark travels in every journal record.
            doc_id = self.journal.next_id(self.name)
        return doc_id, dict(document)

    # --- TinyDB's public write methods ---
    def insert(self, document: Mapping[str, Any]) -> int:
        doc_id, doc = self._new_doc(document, self._live(), {})
        self._commit({doc_id: doc})
        return doc_id

    def insert_multiple(self, documents: Iterable[Mapping[str, Any]]) -> list[int]:
        live, batch = self._live(), dict[int, Doc]()
        for document in documents:
            doc_id, doc = self._new_doc(document, live, batch)
            batch[doc_id] = doc
        self._commit(batch)
        return list(batch)

    def update(self, fields: Mapping[str, Any] | Callable[[MutableMapping[str, Any]], None],
               cond: QueryLike | None = None, doc_ids: Iterable[int] | None = None) -> list[int]:
        # as TinyDB's: with doc_ids, cond is not looked at
        return self.update_multiple([(fields, None if doc_ids is not None else cond)], doc_ids)

    def update_multiple(
            self, updates: Iterable[tuple[Mapping[str, Any] | Callable[[MutableMapping[str, Any]], None],
                                          QueryLike | None]],
            doc_ids: Iterable[int] | None = None) -> list[int]:
        tracked = _Tracked(self._live())
        wanted = list(tracked) if doc_ids is None else [i for i in doc_ids if i in tracked]
        updated: list[int] = []
        for doc_id in wanted:
            doc = tracked[doc_id]
            hit = False
            for fields, cond in updates:
                if cond is not None and not cond(doc):
                    continue
                hit = True
                if callable(fields):
                    fields(doc)
                else:
                    doc.update(fields)
            if hit:
                updated.append(doc_id)
        self._commit(tracked.changed)
        return updated

    def remove(self, cond: QueryLike | None = None, doc_ids: Iterable[int] | None = None) -> list[int]:
        live = self._live()
        if doc_ids is not None:
            gone = [i for i in doc_ids if i in live.records]
        elif cond is not None:
            gone = [i for i in list(live.records) if cond(live[i])]
        else:
            raise RuntimeError("Use truncate() to remove all documents")
        self._commit(dict[int, Doc | None].fromkeys(gone))
        return gone

    def truncate(self) -> None:
        self._commit(dict[int, Doc | None].fromkeys(list(self._live().records)))

    def append_line(self, doc_id: int, item: Any, limit: int) -> None:
        """Append to a line table's list (`LineTable`), keeping the last `limit`."""
        try:
            with self.journal.transaction():
                self.journal.append(self.name, doc_id, item, limit)
        finally:
            self.clear_cache()


class JournalTinyDB(TinyDB):
    """TinyDB whose tables are JournalTables (`table_class`, TinyDB's documented hook)."""

    table_class = JournalTable

    def table(self, name: str, **kwargs: Any) -> JournalTable:
        table = super().table(name, **kwargs)
        assert isinstance(table, JournalTable)
        return table
