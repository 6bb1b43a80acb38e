"""The account registry's use cases: list, show, create, change, delete, and binding the accounts
that `match_account` found logged in on a phone. Passwords are stored, never returned.

Called from request threads and (bind_found) from engine workers; every write is one AccountRepo
call under the store lock, so a username stays unique whoever writes.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from appliance.domain.fanout import account_name
from appliance.domain.tasks import iso
from appliance.errors import InvalidParams, NotFound

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.storage import Store
    from appliance.storage.protocols import AccountStore

DEFAULT_PACKAGE = "com.zhiliaoapp.musically"
PRIVATE = ("password",)
MAX_PAGE_SIZE = 1000


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """An account as the API shows it: no password, only whether one is stored."""
    out = {k: v for k, v in doc.items() if k not in PRIVATE and not k.startswith("_")}
    out["has_password"] = bool(doc.get("password"))
    return out


def normal_username(value: str) -> str:
    return account_name(value)   # the one rule: `@name` and `name` are the same account


class AccountService:
    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime]):
        self.config, self.store, self.clock = config, store, clock

    @property
    def repo(self) -> AccountStore:
        return self.store.accounts

    # --- read -------------------------------------------------------------------------------

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        filters: dict[str, Any] = {k: query[k] for k in ("device", "enabled", "logged_in", "package_name")
                   if k in query}
        if "username" in query:
            filters["username"] = normal_username(query["username"])
        docs = self.repo.list(filters)
        if "tag" in query:
            docs = [d for d in docs if query["tag"] in (d.get("tags") or [])]
        page = query.get("page", 1)
        size = min(query.get("page_size", 100), MAX_PAGE_SIZE)
        chosen = docs[(page - 1) * size: page * size]
        return {"accounts": [public(d) for d in chosen], "total": len(docs), "page": page,
                "page_size": size}

    def get(self, account_id: int) -> dict[str, Any]:
        return public(self._get(account_id))

    def package_of(self, username: str) -> str | None:
        """The app package `username` lives in (clone apps differ), for the scripts."""
        doc = self.repo.get_by_username(normal_username(username))
        return doc.get("package_name") if doc else None

    def _get(self, account_id: int) -> dict[str, Any]:
        doc = self.repo.get(account_id)
        if doc is None:
            raise NotFound(f"Account {account_id} does not exist.", data={"id": account_id})
        return doc

    # --- change -----------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        username = self._free_username(body["username"], None)
        now = iso(self.clock())
        doc = {"username": username, "device": body.get("device") or None,
               "enabled": body.get("enabled", True), "logged_in": body.get("logged_in", False),
               "package_name": body.get("package_name") or DEFAULT_PACKAGE,
               "tags": list(body.get("tags") or []), "email": body.get("email") or "",
               "password": body.get("password") or "", "created_at": now, "updated_at": now}
        return public(self._write(lambda: self.repo.create(doc)))

    def update(self, account_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        self._get(account_id)
        changes = dict(changes)
        if not changes:
            raise InvalidParams("The request body changes nothing; give at least one field.")
        if "username" in changes:
            changes["username"] = self._free_username(changes["username"], account_id)
        if "device" in changes:
            changes["device"] = changes["device"] or None
        changes["updated_at"] = iso(self.clock())
        doc = self._write(lambda: self.repo.update(account_id, changes))
        if doc is None:
            raise NotFound(f"Account {account_id} does not exist.", data={"id": account_id})
        return public(doc)

    def delete(self, account_id: int) -> dict[str, Any]:
        self._get(account_id)
        if not self.repo.delete(account_id):
            raise NotFound(f"Account {account_id} does not exist.", data={"id": account_id})
        return {"deleted_ids": [account_id]}

    def bind_found(self, serial: str, usernames: builtins.list[str]) -> dict[str, Any]:
        """What match_account saw on `serial`: each account there is bound to it and logged in
        (created if new); accounts bound to it before but gone from the app are logged out."""
        now = iso(self.clock())
        result: dict[str, list[str]] = {"created": [], "updated": [], "logged_out": []}
        seen = set()
        for raw in usernames:
            name = normal_username(raw)
            if not name or name in seen:
                continue
            seen.add(name)
            doc = self.repo.get_by_username(name)
            if doc is None:
                self.repo.create({"username": name, "device": serial, "enabled": True,
                                  "logged_in": True, "package_name": DEFAULT_PACKAGE, "tags": [],
                                  "email": "", "password": "", "created_at": now,
                                  "updated_at": now})
                result["created"].append(name)
            else:
                self.repo.update(doc["id"], {"device": serial, "logged_in": True,
                                             "updated_at": now})
                result["updated"].append(name)
        for doc in self.repo.list({"device": serial}):
            if doc["username"] not in seen and doc.get("logged_in"):
                self.repo.update(doc["id"], {"logged_in": False, "updated_at": now})
                result["logged_out"].append(doc["username"])
        return result

    # --- helpers ----------------------------------------------------------------------------

    def _free_username(self, value: str, own_id: int | None) -> str:
        username = normal_username(value)
        if not username:
            raise InvalidParams("Invalid parameter username: must not be empty.",
                                data={"field": "username"})
        other = self.repo.get_by_username(username)
        if other is not None and other["id"] != own_id:
            raise InvalidParams(f"Invalid parameter username: {username!r} already exists "
                                f"(account {other['id']}).",
                                data={"field": "username", "id": other["id"]})
        return username

    @staticmethod
    def _write(action: Callable[[], Any]) -> Any:
        # The repo re-checks uniqueness under the lock (a racing create): say which field.
        try:
            return action()
        except InvalidParams as exc:
            if exc.message.startswith("Invalid parameter"):
                raise
            raise InvalidParams(f"Invalid parameter username: {exc.message}.",
                                data={"field": "username"}) from None
