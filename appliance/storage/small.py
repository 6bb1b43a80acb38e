"""MetaRepo (key/value settings) and AccountRepo (issue 6): small tables, scanned freely.

Any thread may call; every method takes the store lock and writes are durable on return.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from appliance.errors import InvalidParams
from appliance.storage.backend import Doc, DocTable

if TYPE_CHECKING:
    from appliance.storage.store import Store

META, ACCOUNTS = "meta", "accounts"
_MISSING = object()


class MetaRepo:
    """Small values that survive restarts (plan, known tcp phones): one doc {key, value} per key."""

    def __init__(self, store: Store):
        self._store = store
        self._table = store.db.table(META)
        self._docs = store.storage.table(META)
        self._ids: dict[str, int] = {}
        self._resync()

    def get(self, key: str, default: Any = None) -> Any:
        with self._store.reading():
            doc_id = self._ids.get(key)
            if doc_id is None:
                return default
            return self._docs[str(doc_id)].get("value")

    def set(self, key: str, value: Any) -> None:
        def write() -> None:
            doc_id = self._ids.get(key)
            if doc_id is None:
                self._ids[key] = self._table.insert({"key": key, "value": value})
            else:
                self._table.update({"value": value}, doc_ids=[doc_id])
        try:
            self._store.write(write)
        except BaseException:
            self._resync()
            raise

    def delete(self, key: str) -> bool:
        def write() -> bool:
            doc_id = self._ids.pop(key, None)
            if doc_id is None:
                return False
            self._table.remove(doc_ids=[doc_id])
            return True
        try:
            return self._store.write(write)
        except BaseException:
            self._resync()
            raise

    def all(self) -> dict[str, Any]:
        with self._store.reading():
            return {d["key"]: d.get("value") for d in self._docs.values()}

    def _resync(self) -> None:
        with self._store.lock:
            self._ids = {row[0]: doc_id for doc_id, row in self._docs.field_rows()}


class AccountRepo:
    """Accounts; `username` is unique (a duplicate is InvalidParams). Ids are never reused."""

    def __init__(self, store: Store):
        self._store = store
        self._table = store.db.table(ACCOUNTS)
        self._docs = store.storage.table(ACCOUNTS)  # usernames read from the records

    def _live(self) -> DocTable:
        return self._docs

    def _by_username(self, username: str) -> Doc | None:
        for doc_id, (name,) in self._docs.field_rows():
            if name == username:
                return self._docs[str(doc_id)]
        return None

    def _check_username(self, username: Any, own_id: int | None) -> None:
        if not isinstance(username, str) or not username:
            raise InvalidParams("an account needs a non-empty 'username'")
        other = self._by_username(username)
        if other is not None and other.get("id") != own_id:
            raise InvalidParams(f"username {username!r} already exists (account {other.get('id')})")

    def create(self, doc: Doc) -> Doc:
        from tinydb.table import Document

        def write() -> Doc:
            self._check_username(doc.get("username"), None)
            doc_id = self._store.storage.next_id(ACCOUNTS)
            self._table.insert(Document({**doc, "id": doc_id}, doc_id))
            return self._live()[str(doc_id)]
        return self._store.write(write)

    def get(self, account_id: int) -> Doc | None:
        with self._store.reading():
            return self._live().get(str(account_id))

    def get_by_username(self, username: str) -> Doc | None:
        with self._store.reading():
            return self._by_username(username)

    def list(self, filters: Doc | None = None) -> builtins.list[Doc]:
        """Accounts whose fields equal every filter value, ascending id."""
        filters = filters or {}
        with self._store.reading():
            docs = sorted(self._live().values(), key=lambda d: d.get("id", 0))
            return [d for d in docs
                    if all(d.get(k, _MISSING) == v for k, v in filters.items())]

    def update(self, account_id: int, changes: Doc) -> Doc | None:
        def write() -> Doc | None:
            if account_id not in self._docs.records:
                return None
            delta = {k: v for k, v in changes.items() if k != "id"}
            if "username" in delta:
                self._check_username(delta["username"], account_id)
            if delta:
                self._table.update(delta, doc_ids=[account_id])
            return self._live()[str(account_id)]
        return self._store.write(write)

    def delete(self, account_id: int) -> bool:
        def write() -> bool:
            return bool(self._table.remove(doc_ids=[account_id]))
        return self._store.write(write)
