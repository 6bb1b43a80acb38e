"""Task states and the transitions docs/API.md allows (Task states), as pure functions over task documents.

Nothing here does I/O: callers pass the current document and `now`, and get back the changes to
write (the store applies them under its lock, so a transition is a compare-and-set).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from appliance.errors import InvalidParams

PENDING, RUNNING, COMPLETED, FAILED = 0, 1, 2, 3
STATUS_NAMES = {PENDING: "pending", RUNNING: "running", COMPLETED: "completed", FAILED: "failed"}
FINISHED = (COMPLETED, FAILED)

# action -> {from_status: to_status}. docs/API.md, Task states: stop takes pending or running to failed; retry
# takes failed back to pending; nothing leaves completed.
TRANSITIONS: dict[str, dict[int, int]] = {
    "start": {PENDING: RUNNING},
    "complete": {RUNNING: COMPLETED},
    "fail": {RUNNING: FAILED},
    "stop": {PENDING: FAILED, RUNNING: FAILED},
    "retry": {FAILED: PENDING},
}

_VERB = {"start": "started", "complete": "completed", "fail": "failed", "stop": "stopped",
         "retry": "retried"}


def iso(moment: datetime) -> str:
    """ISO 8601 with offset, seconds precision (docs/API.md, Tasks: created_at, started_at, finished_at)."""
    return moment.isoformat(timespec="seconds")


def transition(task: dict[str, Any], action: str, now: datetime, remark: str | None = None) -> dict[str, Any]:
    """The changes that perform `action` on `task`, or InvalidParams naming the task's state."""
    allowed = TRANSITIONS[action]
    status = task["status"]
    if status not in allowed:
        sources = " or ".join(STATUS_NAMES[s] for s in allowed)
        raise InvalidParams(
            f"Task {task['id']} is {STATUS_NAMES.get(status, status)}; only {sources} tasks can be "
            f"{_VERB[action]}.",
            data={"id": task["id"], "status": status},
        )
    changes: dict[str, Any] = {"status": allowed[status]}
    if action == "start":
        changes.update(started_at=iso(now), finished_at=None, remark="")
    elif action in ("complete", "fail", "stop"):
        changes.update(finished_at=iso(now), remark=remark if remark is not None else "")
    elif action == "retry":
        changes.update(retry_count=int(task.get("retry_count", 0)) + 1, remark="",
                       started_at=None, finished_at=None, _not_before=None)
    return changes


def capped(task: dict[str, Any], cap: int) -> bool:
    """True when `task` was already retried `cap` times (the setting max_retry_count)."""
    return int(task.get("retry_count") or 0) >= cap


def retry_changes(task: dict[str, Any], now: datetime, cap: int) -> dict[str, Any]:
    """The changes of a manual retry: `transition(task, "retry")`, refused once the task was
    retried `cap` times (auto and manual retries count alike)."""
    changes = transition(task, "retry", now)
    if capped(task, cap):
        raise InvalidParams(
            f"Invalid parameter retry_count: task {task['id']} was already retried "
            f"{int(task.get('retry_count') or 0)} times, the most the setting max_retry_count "
            f"({cap}) allows.",
            data={"field": "retry_count", "id": task["id"], "retry_count": task.get("retry_count"),
                  "max_retry_count": cap})
    return changes


def next_start(hhmm: str, now: datetime) -> datetime:
    """The next moment at local time HH:MM, today or tomorrow (docs/API.md, POST /task: start_time)."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment >= now.replace(second=0, microsecond=0) else moment + timedelta(days=1)


def new_task(*, serial: str, script_name: str, script_config: dict[str, Any], source: str,
             min_interval: int, max_interval: int, start_time: str | None, now: datetime,
             username: str | None = None) -> dict[str, Any]:
    """A pending task document (without id: the store assigns it)."""
    doc = {
        "serial": serial, "username": username, "script_name": script_name,
        "script_config": script_config, "status": PENDING, "source": source,
        "min_interval": min_interval, "max_interval": max_interval, "start_time": start_time,
        "created_at": iso(now), "started_at": None, "finished_at": None, "remark": "",
        "retry_count": 0,
    }
    if start_time:
        doc["_not_before"] = iso(next_start(start_time, now))
    return doc


def public(task: dict[str, Any]) -> dict[str, Any]:
    """The task as the API shows it: engine-private `_` fields removed; `schedule_id` (an
    extension) null unless a schedule's firing made it."""
    out = {k: v for k, v in task.items() if not k.startswith("_")}
    out.setdefault("schedule_id", None)
    return out
