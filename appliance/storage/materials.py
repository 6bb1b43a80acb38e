"""MaterialRepo (issue 12): the material library's records {id, name, file, kind, size, tags,
caption, username, sort, used, used_at, used_by, created_at, updated_at}, and the reservations
of materials a running post has picked.

Any thread may call (request threads; engine workers picking and marking used). `reserve` picks
and reserves under the store lock, so two posts never get the same material; reservations live
in memory only (a restart ends every running post). Writes are durable on return.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING

from tinydb.table import Document

from appliance.storage.backend import Doc

if TYPE_CHECKING:
    from appliance.storage.store import Store

MATERIALS = "materials"


class MaterialRepo:
    """Materials by id (never reused); `reserved` holds ids a running post holds."""

    def __init__(self, store: Store):
        self._store = store
        self._table = store.db.table(MATERIALS)
        self._docs = store.storage.table(MATERIALS)
        self._reserved: dict[int, Doc] = {}   # material id -> holder (who picked it)

    def create(self, doc: Doc) -> Doc:
        def write() -> Doc:
            material_id = self._store.storage.next_id(MATERIALS)
            self._table.insert(Document({**doc, "id": material_id}, material_id))
            return self._docs[str(material_id)]
        return self._store.write(write)

    def get(self, material_id: int) -> Doc | None:
        with self._store.reading():
            return self._docs.get(str(material_id))

    def list(self) -> list[Doc]:
        """Every material, ascending id."""
        with self._store.reading():
            return sorted(self._docs.values(), key=lambda d: d["id"])

    def update(self, material_id: int, changes: Doc) -> Doc | None:
        def write() -> Doc | None:
            if str(material_id) not in self._docs:
                return None
            delta = {k: v for k, v in changes.items() if k != "id"}
            if delta:
                self._table.update(delta, doc_ids=[material_id])
            return self._docs[str(material_id)]
        return self._store.write(write)

    def delete(self, material_id: int, refuse: Callable[[Doc], None]) -> Doc | None:
        """Remove the record (None if absent); `refuse(doc)` may raise, under the lock, when the
        material is reserved (it sees `is_reserved`)."""
        def write() -> Doc | None:
            doc = self._docs.get(str(material_id))
            if doc is None:
                return None
            refuse(doc)
            self._table.remove(doc_ids=[material_id])
            return doc
        return self._store.write(write)

    # --- reservations (memory only) -----------------------------------------------------------

    def is_reserved(self, material_id: int) -> bool:
        with self._store.lock:
            return material_id in self._reserved

    def holder(self, material_id: int) -> Doc | None:
        with self._store.lock:
            return self._reserved.get(material_id)

    def reserve(self, choose: Callable[[builtins.list[Doc]], builtins.list[Doc]],
                holder: Doc) -> builtins.list[Doc]:
        """`choose(unused, unreserved materials)` returns the ones to take; they are reserved
        for `holder` before the lock is released. Returns what was taken."""
        with self._store.reading():
            free = [d for d in sorted(self._docs.values(), key=lambda d: d["id"])
                    if not d.get("used") and d["id"] not in self._reserved]
            taken = choose(free)
            for doc in taken:
                self._reserved[doc["id"]] = holder
            return taken

    def release(self, ids: builtins.list[int]) -> None:
        with self._store.lock:
            for material_id in ids:
                self._reserved.pop(material_id, None)

    def mark_used(self, ids: builtins.list[int], changes: Doc) -> builtins.list[Doc]:
        """Set `used` (and `changes`) on each existing material and drop its reservation."""
        def write() -> builtins.list[Doc]:
            done = []
            for material_id in ids:
                self._reserved.pop(material_id, None)
                if str(material_id) in self._docs:
                    self._table.update({**changes, "used": True}, doc_ids=[material_id])
                    done.append(self._docs[str(material_id)])
            return done
        return self._store.write(write)
