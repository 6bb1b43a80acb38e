"""GroupRepo (issue 13): named device groups {id, name, serials, created_at, updated_at}.

Names are unique ignoring case, checked under the store lock so two racing creates cannot both
win. A small table, scanned freely. Any thread may call; writes are durable on return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tinydb.table import Document

from appliance.errors import InvalidParams
from appliance.storage.backend import Doc

if TYPE_CHECKING:
    from appliance.storage.store import Store

GROUPS = "groups"


def name_key(name: str) -> str:
    """What two names must share to name the same group ("Team A" and "team a" do)."""
    return name.casefold()


class GroupRepo:
    """Groups by id (never reused) and by name; a taken name is InvalidParams naming `name`."""

    def __init__(self, store: Store):
        self._store = store
        self._table = store.db.table(GROUPS)
        self._docs = store.storage.table(GROUPS)

    def _named(self, name: str) -> Doc | None:
        key = name_key(name)
        for doc in self._docs.values():
            if name_key(doc["name"]) == key:
                return doc
        return None

    def _check_free(self, name: str, own_id: int | None) -> None:
        other = self._named(name)
        if other is not None and other["id"] != own_id:
            raise InvalidParams(f"Invalid parameter name: a group named {other['name']!r} "
                                f"already exists (group {other['id']}); names ignore case.",
                                data={"field": "name", "id": other["id"]})

    def create(self, doc: Doc) -> Doc:
        def write() -> Doc:
            self._check_free(doc["name"], None)
            group_id = self._store.storage.next_id(GROUPS)
            self._table.insert(Document({"id": group_id, **doc}, group_id))
            return self._docs[str(group_id)]
        return self._store.write(write)

    def get(self, group_id: int) -> Doc | None:
        with self._store.reading():
            return self._docs.get(str(group_id))

    def get_by_name(self, name: str) -> Doc | None:
        with self._store.reading():
            return self._named(name)

    def list(self) -> list[Doc]:
        """Every group, ascending id."""
        with self._store.reading():
            return sorted(self._docs.values(), key=lambda d: d["id"])

    def update(self, group_id: int, change: Callable[[Doc], Doc]) -> Doc | None:
        """`change(current doc)` returns the fields to set; it runs under the lock, so an add or
        remove of serials never loses a concurrent one. None if the group does not exist."""
        def write() -> Doc | None:
            current = self._docs.get(str(group_id))
            if current is None:
                return None
            delta = {k: v for k, v in change(current).items() if k != "id"}
            if "name" in delta:
                self._check_free(delta["name"], group_id)
            self._table.update(delta, doc_ids=[group_id])
            return self._docs[str(group_id)]
        return self._store.write(write)

    def delete(self, group_id: int) -> bool:
        def write() -> bool:
            if group_id not in self._docs.records:
                return False
            self._table.remove(doc_ids=[group_id])
            return True
        return self._store.write(write)
