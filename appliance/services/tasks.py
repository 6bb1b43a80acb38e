"""The `/task` use cases: create, list, show, stop, retry, delete, stats, on the store.

Called from request threads (and the admin CLI through the API). State changes are compare-and-set
updates under the store lock; a running task is stopped through the engine, which owns it.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from appliance.devices.seen import SeenPhones
from appliance.domain import fanout
from appliance.domain.tasks import (
    FAILED,
    PENDING,
    RUNNING,
    capped,
    iso,
    new_task,
    public,
    retry_changes,
    transition,
)
from appliance.errors import InvalidParams, NotFound, ScriptNameMissing
from appliance.services.groups import GroupService

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.engine.protocols import TaskRunner
    from appliance.scripts.protocols import ScriptRegistry
    from appliance.storage import Store

MAX_PAGE_SIZE = 100
# Every task stores its own copy of script_config: one request must not fill the store (and the
# hub's memory) with 10,000 copies of a megabyte of text.
MAX_CONFIG_BYTES = 128 << 10          # one task's script_config, as JSON
MAX_REQUEST_CONFIG_BYTES = 32 << 20   # all the copies one create request stores


def require_script_name(body: dict[str, Any]) -> str:
    """docs/API.md, POST /task: a missing or empty script_name is 40002, whatever else is wrong."""
    name = body.get("script_name")
    if not isinstance(name, str) or not name.strip():
        raise ScriptNameMissing("script_name is required: give the name of the script to run.")
    return name


def require_one_mode(body: dict[str, Any]) -> None:
    """`groups` adds phones to serials mode (docs/API.md, POST /task: serials or usernames): with
    usernames it is 40001 naming `groups`, before the schema's less specific answer."""
    if "groups" in body and "usernames" in body:
        raise InvalidParams("Invalid parameter groups: groups add phones (serials mode) and "
                            "cannot be combined with usernames; give serials and/or groups, "
                            "or usernames.", data={"field": "groups"})


def check_config_size(configs: list[dict[str, Any]], copies: int) -> None:
    """40001 when one task's script_config, or all the copies a request stores, are too big.
    Stops at the first config over a limit, so a hostile request costs little to refuse."""
    total = 0
    for config in configs:
        size = len(json.dumps(config, ensure_ascii=False))
        if size > MAX_CONFIG_BYTES:
            raise InvalidParams(f"Invalid parameter script_config: {size // 1024} KB as JSON; "
                                f"at most {MAX_CONFIG_BYTES // 1024} KB per task.",
                                data={"field": "script_config"})
        total += size * copies
        if total > MAX_REQUEST_CONFIG_BYTES:
            raise InvalidParams(f"Invalid parameter script_config: this request would store more "
                                f"than {MAX_REQUEST_CONFIG_BYTES >> 20} MB of it over "
                                f"{len(configs) * copies} tasks. Split the request.",
                                data={"field": "script_config"})


def ignored_line(script: str, fields: list[str]) -> str:
    """The warning a task's log starts with when its request had fields `script` does not have."""
    return (f"ignored script_config field(s) {', '.join(fields)}: not options of the {script} "
            "script (left out of this task)")


def never_seen(serial: str) -> str:
    """The remark of a pending task whose phone the hub has never seen (cleared when it starts)."""
    return (f"Waiting: the hub has never seen phone {serial}; check the serial "
            "(appliance devices) or plug the phone in.")


class _Raced(Exception):
    """The task started running between our read and our write: go round again."""


_NOT_RUNNING = object()   # stop's expectation: no run token can match it


class TaskService:
    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime],
                 registry: ScriptRegistry, engine: TaskRunner | None = None,
                 groups: GroupService | None = None):
        self.config = config
        self.store = store
        self.clock = clock
        self.groups = groups or GroupService(store, clock)
        self.registry = registry   # validation of script_config at create
        self.engine = engine       # None: nothing runs (adb off), tasks stay pending
        self.seen = SeenPhones(store)   # written by the devices layer when a phone is first listed

    # --- create ---------------------------------------------------------------------------

    def create(self, body: dict[str, Any], source: str = "api",
               schedule_id: int | None = None) -> dict[str, Any]:
        """Validated body -> tasks, all or nothing. Returns {"task_ids", "created_count",
        "unknown_serials"}: the serials the hub has never seen get their tasks all the same
        (docs/API.md, POST /task), and those tasks say so in their remark while adb is on. `schedule_id`: the
        schedule whose firing this is (source "schedule"), kept on each task."""
        name = require_script_name(body)
        require_one_mode(body)
        min_i, max_i = body.get("min_interval", 1), body.get("max_interval", 5)
        if min_i > max_i:
            raise InvalidParams(f"Invalid parameter min_interval: {min_i} is greater than "
                                f"max_interval {max_i}.", data={"field": "min_interval"})
        configs, ignored = self._script_configs(name, body.get("script_config") or {})
        if "usernames" in body:
            slots = fanout.username_slots(body["usernames"], self._account_named)
        else:
            slots = fanout.device_slots(self._serials(body),
                                        body.get("enable_multi_account", False),
                                        self._accounts_on)
        check_config_size(configs, len(slots))
        now = self.clock()
        docs = [new_task(serial=slot.serial, username=slot.username, script_name=name,
                         script_config=config, source=source, min_interval=min_i,
                         max_interval=max_i, start_time=body.get("start_time"), now=now)
                for slot, config in fanout.expand(slots, configs)]
        unknown = self.seen.unknown(slot.serial for slot in slots)
        if unknown and self.config.adb_enabled:   # with adb off no phone can appear: no advice
            remarks = {serial: never_seen(serial) for serial in unknown}
            for doc in docs:
                doc["remark"] = remarks.get(doc["serial"], "")
        if schedule_id is not None:
            for doc in docs:
                doc["schedule_id"] = schedule_id
        created = self.store.tasks.create_many(docs)
        ids = [doc["id"] for doc in created]
        if ignored:
            line = {"ts": iso(now), "level": "warning",
                    "message": ignored_line(name, ignored)}
            for task_id in ids:
                self.store.tasks.append_log(task_id, line, self.config.log_lines_per_task)
        self._wake()
        return {"task_ids": ids, "created_count": len(ids), "unknown_serials": unknown,
                "ignored_fields": ignored}

    def _serials(self, body: dict[str, Any]) -> list[str]:
        """serials, then the phones of the named groups not among them (each phone once)."""
        return fanout.unique(body.get("serials", []) + self.groups.serials_of(
            body.get("groups", []), nonempty=True))

    def _script_configs(self, name: str, config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        """The configs of the tasks (validated, split per target) and the names of the fields
        that are no option of the script: those are left out of the tasks."""
        script = self.registry.get(name)          # 40003 listing the supported names
        known = script.schema.get("properties", {})
        ignored = sorted(k for k in config if k not in known) if isinstance(config, dict) else []
        if ignored:
            config = {k: v for k, v in config.items() if k in known}
        validated = script.validate(config)       # 40001 naming script_config.<field>
        return script.fanout(validated), ignored

    def _accounts_on(self, serial: str) -> list[dict[str, Any]]:
        return [a for a in self.store.accounts.list({"device": serial}) if a.get("enabled", True)]

    def _account_named(self, username: str) -> dict[str, Any] | None:
        return self.store.accounts.get_by_username(username)

    # --- read -----------------------------------------------------------------------------

    def list(self, query: dict[str, Any]) -> dict[str, Any]:
        page = query.get("page", 1)
        size = min(query.get("page_size", 20), MAX_PAGE_SIZE)
        filters: dict[str, Any] = {k: query[k] for k in
                                   ("status", "serial", "script_name", "source", "username")
                                   if k in query}
        if "group" in query:
            members = frozenset(self.groups.serials_of([query["group"]], field="group"))
            # With serial too: that phone if it is in the group, else nothing.
            filters["serial"] = members & {filters["serial"]} if "serial" in filters else members
        tasks, total = self.store.tasks.list(filters, (page - 1) * size, size)
        return {"tasks": [public(t) for t in tasks], "total": total, "page": page,
                "page_size": size}

    def get(self, task_id: int) -> dict[str, Any]:
        task = self._get(task_id)
        logs = self.store.tasks.logs(task_id)
        # A failed UI step keeps its screen as a "ui_dump" log line (scripts/app_script.py):
        # shown on its own, not among the human-readable lines.
        dumps = [line.get("message", "") for line in logs if line.get("level") == "ui_dump"]
        logs = [line for line in logs if line.get("level") != "ui_dump"]
        # What a scraping script read is a "results" line (JSON, scripts/scrape_user.py).
        found = [line.get("message", "") for line in logs if line.get("level") == "results"]
        logs = [line for line in logs if line.get("level") != "results"]
        detail = {**public(task), "logs": logs}
        if dumps:
            detail["ui_dump"] = dumps[-1]
        if found:
            detail["results"] = json.loads(found[-1])
        return detail

    def stats(self) -> dict[str, Any]:
        return self.store.tasks.stats()

    def _get(self, task_id: int) -> dict[str, Any]:
        task = self.store.tasks.get(task_id)
        if task is None:
            raise NotFound(f"Task {task_id} does not exist.", data={"id": task_id})
        return task

    # --- change ---------------------------------------------------------------------------

    def stop(self, task_id: int, remark: str = "stopped") -> dict[str, Any]:
        """Pending -> failed at once; running -> cancelled by the engine, answered once ended."""
        for _ in range(10):
            task = self._get(task_id)
            if task["status"] == RUNNING and self.engine is not None:
                if self.engine.stop_task(task_id, remark):
                    if self._get(task_id)["status"] != PENDING:
                        return self.get(task_id)
                    continue   # it failed into an auto-retry just before the stop: stop that too
                # The engine does not run it: a stale record, unless another run took it since.
                stale_run = task.get("_run")
            else:
                stale_run = task.get("_run") if self.engine is None else _NOT_RUNNING

            def change(current: dict[str, Any], stale_run: object = stale_run) -> dict[str, Any]:
                if current["status"] == RUNNING and current.get("_run") != stale_run:
                    raise _Raced()
                return transition(current, "stop", self.clock(), remark)

            try:
                if self.store.tasks.update(task_id, change) is None:
                    break
            except _Raced:
                continue
            if self.engine is not None:
                # A worker may already hold the task it was about to start: it now finds the
                # task failed and lets go; the answer waits for that, so the phone is free.
                self.engine.stop_tasks([task_id], remark)
            return self.get(task_id)
        return self.get(task_id)

    def retry(self, task_id: int) -> dict[str, Any]:
        """Failed -> pending, unless the task was retried max_retry_count times (40001 naming
        retry_count)."""
        self._get(task_id)
        cap = self.config.max_retry_count
        self.store.tasks.update(task_id, lambda t: retry_changes(t, self.clock(), cap))
        self._wake()
        return self.get(task_id)

    def retry_all(self) -> dict[str, Any]:
        """Every failed task back to pending, except those retried max_retry_count times: they
        are counted in `skipped_count` (ids in `skipped_ids`)."""
        retried: list[int] = []
        skipped: list[int] = []
        cap = self.config.max_retry_count
        for task_id in self.store.tasks.ids_where(status=FAILED):
            def change(current: dict[str, Any], task_id: int = task_id) -> dict[str, Any] | None:
                # Skip tasks that changed state since the listing (retried by someone else).
                if current["status"] != FAILED:
                    return None
                if capped(current, cap):
                    skipped.append(task_id)
                    return None
                retried.append(task_id)
                return retry_changes(current, self.clock(), cap)
            self.store.tasks.update(task_id, change)
        self._wake()
        return {"task_ids": retried, "retried_count": len(retried), "skipped_ids": skipped,
                "skipped_count": len(skipped), "max_retry_count": cap}

    def delete(self, task_id: int) -> dict[str, Any]:
        self._get(task_id)
        result = self.delete_many([task_id])
        if not result["deleted_ids"]:
            raise NotFound(f"Task {task_id} does not exist.", data={"id": task_id})
        return {"deleted_ids": result["deleted_ids"]}

    def delete_many(self, task_ids: builtins.list[int]) -> dict[str, Any]:
        """Stops running ones first; unknown ids are reported in not_found, not an error."""
        ids = list(dict.fromkeys(task_ids))
        present = [i for i in ids if self.store.tasks.get(i) is not None]
        if self.engine is not None:
            # All at once: a batch of stuck scripts costs one stop_grace, not one each.
            self.engine.stop_tasks(present, "deleted")
        deleted = self.store.tasks.delete_many(present)
        if self.engine is not None:
            # A task the dispatcher started between the stop and the delete: its writes now find
            # no document, but its script must not go on holding the phone.
            self.engine.stop_tasks(deleted, "deleted")
        gone = set(deleted)
        return {"deleted_ids": deleted, "not_found": [i for i in ids if i not in gone]}

    def _wake(self) -> None:
        if self.engine is not None:
            self.engine.wake()
