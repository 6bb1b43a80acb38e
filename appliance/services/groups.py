"""The device-group use cases behind `/group` and `appliance groups`, and the one way other use
cases read a group: `serials_of(names)` (POST /task `groups`, schedules, the `group` filters).

Called from request threads and the scheduler; each write is one GroupRepo call under the store
lock. Groups name phones by serial only: deleting or changing one never touches a task.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from appliance.domain.fanout import unique
from appliance.domain.tasks import PENDING, RUNNING, iso
from appliance.errors import InvalidParams, NotFound
from appliance.storage import Store

MAX_SERIALS = 1000   # phones in one group: as many as one request may name (schemas.MAX_IDS)


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidParams("Invalid parameter name: give the group a name (1-64 characters).",
                            data={"field": "name"})
    return name


def _too_many(count: int) -> InvalidParams:
    return InvalidParams(f"Invalid parameter serials: a group holds at most {MAX_SERIALS} phones "
                         f"({count} asked); split it into several groups.",
                         data={"field": "serials"})


class GroupService:
    def __init__(self, store: Store, clock: Callable[[], datetime]):
        self.store, self.clock = store, clock

    # --- read -------------------------------------------------------------------------------

    def list(self, name: str | None = None) -> dict[str, Any]:
        """Every group (ascending id), or the one called `name` (ignoring case) if any."""
        if name is None:
            docs = self.store.groups.list()
        else:
            found = self.store.groups.get_by_name(name.strip())
            docs = [found] if found is not None else []
        groups = [self._public(doc) for doc in docs]
        return {"groups": groups, "total": len(groups)}

    def get(self, group_id: int) -> dict[str, Any]:
        return self._public(self._get(group_id))

    def serials_of(self, names: builtins.list[str], *, field: str = "groups",
                   nonempty: bool = False) -> builtins.list[str]:
        """The phones of the named groups (names ignore case): the union in group order, each
        serial once. An unknown group (or, with `nonempty`, one without phones) is
        InvalidParams naming `field`."""
        serials: list[str] = []
        for name in unique(names):
            doc = self.store.groups.get_by_name(name)
            if doc is None:
                raise InvalidParams(f"Invalid parameter {field}: there is no group {name!r}; see "
                                    "GET /api/v1/group for the groups.",
                                    data={"field": field, "group": name})
            if nonempty and not doc["serials"]:
                raise InvalidParams(f"Invalid parameter {field}: group {doc['name']!r} has no "
                                    "phones; add some first.", data={"field": field,
                                                                     "group": doc["name"]})
            serials += doc["serials"]
        return unique(serials)

    def names_by_serial(self) -> dict[str, builtins.list[str]]:
        """serial -> the names of the groups it is in (ascending group id): the device object's
        `groups`."""
        out: dict[str, list[str]] = {}
        for doc in self.store.groups.list():
            for serial in doc["serials"]:
                out.setdefault(serial, []).append(doc["name"])
        return out

    # --- change -----------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        serials = unique(body.get("serials") or [])
        if len(serials) > MAX_SERIALS:
            raise _too_many(len(serials))
        now = iso(self.clock())
        doc = self.store.groups.create({"name": _name(body["name"]), "serials": serials,
                                        "created_at": now, "updated_at": now})
        return self._public(doc)

    def update(self, group_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Rename (`name`) and/or replace the phones (`serials`)."""
        delta: dict[str, Any] = {}
        if "name" in changes:
            delta["name"] = _name(changes["name"])
        if "serials" in changes:
            delta["serials"] = unique(changes["serials"])
            if len(delta["serials"]) > MAX_SERIALS:
                raise _too_many(len(delta["serials"]))
        if not delta:
            raise InvalidParams("The request body changes nothing; give name or serials.")
        delta["updated_at"] = iso(self.clock())
        return self._public(self._change(group_id, lambda _current: delta))

    def add(self, group_id: int, serials: builtins.list[str]) -> dict[str, Any]:
        """Adds the phones not in the group yet (at its end); answers the group and `added`."""
        added: list[str] = []

        def change(current: dict[str, Any]) -> dict[str, Any]:
            added[:] = [s for s in unique(serials) if s not in current["serials"]]
            if len(current["serials"]) + len(added) > MAX_SERIALS:
                raise _too_many(len(current["serials"]) + len(added))
            return {"serials": current["serials"] + added, "updated_at": iso(self.clock())}
        return {**self._public(self._change(group_id, change)), "added": added}

    def remove(self, group_id: int, serials: builtins.list[str]) -> dict[str, Any]:
        """Removes the given phones; answers the group and `removed` (those that were in it)."""
        removed: list[str] = []

        def change(current: dict[str, Any]) -> dict[str, Any]:
            gone = set(serials)
            removed[:] = [s for s in current["serials"] if s in gone]
            return {"serials": [s for s in current["serials"] if s not in gone],
                    "updated_at": iso(self.clock())}
        return {**self._public(self._change(group_id, change)), "removed": removed}

    def delete(self, group_id: int) -> dict[str, Any]:
        """Deletes the group; tasks of its phones are left as they are."""
        if not self.store.groups.delete(group_id):
            raise self._not_found(group_id)
        return {"deleted_ids": [group_id]}

    # --- helpers ----------------------------------------------------------------------------

    def _get(self, group_id: int) -> dict[str, Any]:
        doc = self.store.groups.get(group_id)
        if doc is None:
            raise self._not_found(group_id)
        return doc

    def _change(self, group_id: int, change: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        doc = self.store.groups.update(group_id, change)
        if doc is None:
            raise self._not_found(group_id)
        return doc

    @staticmethod
    def _not_found(group_id: int) -> NotFound:
        return NotFound(f"Group {group_id} does not exist; see GET /api/v1/group.",
                        data={"id": group_id})

    def _public(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A group as the API shows it, with how many phones it has and their live tasks."""
        serials = frozenset(doc["serials"])
        return {**doc, "counts": {"devices": len(serials),
                                  "pending": self._count(PENDING, serials),
                                  "running": self._count(RUNNING, serials)}}

    def _count(self, status: int, serials: Iterable[str]) -> int:
        return self.store.tasks.list({"status": status, "serial": frozenset(serials)}, 0, 0)[1]
