"""Recurring schedules (issue 13): the `/schedule` use cases, and each schedule's firing.

A schedule names weekdays and "HH:MM" times (the hub's time zone), targets (serials, device
groups or usernames, resolved at each firing as POST /task resolves them), a script and its
config. Each enabled schedule is one persistent timekeeper job, "schedule-<id>"; a firing creates
tasks through TaskService.create with source "schedule" and the schedule's id on each task. A
firing that creates nothing (no phone behind the targets, a group emptied, the script refused)
logs a line and records `last_error` on the schedule; it never raises into the scheduler.
Threads: request threads (changes, run now), the timekeeper's workers (`fire`), the main
thread at start (`reconcile`, before anything fires).
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from appliance.domain.tasks import iso
from appliance.domain.weekly import WEEKDAYS, WeeklyTimes, weekday_number
from appliance.errors import ApplianceError, InvalidParams, NotFound
from appliance.services.groups import GroupService
from appliance.services.tasks import TaskService, check_config_size
from appliance.services.timekeeper import Timekeeper
from appliance.storage import Store

if TYPE_CHECKING:
    from appliance.scripts.protocols import ScriptRegistry

log = logging.getLogger("appliance.schedules")

KIND = "schedule"
MAX_TIMES = 48        # a firing every half hour at most
NEXT_RUNS = 3         # how many coming firings a schedule object shows
TARGET_KINDS = ("serials", "groups", "usernames")
EDITABLE = ("name", "weekdays", "times", "targets", "script_name", "script_config", "enabled")


def job_id(schedule_id: int) -> str:
    return f"{KIND}-{schedule_id}"


class ScheduleService:
    def __init__(self, store: Store, clock: Callable[[], datetime], timekeeper: Timekeeper,
                 tasks: TaskService, registry: ScriptRegistry, groups: GroupService):
        self.store, self.clock, self.timekeeper = store, clock, timekeeper
        self.tasks, self.registry, self.groups = tasks, registry, groups
        timekeeper.persist(KIND, self.fire, self.reconcile)

    # --- read -----------------------------------------------------------------------------

    def list(self) -> dict[str, Any]:
        docs = self.store.schedules.list()
        return {"schedules": [self._public(doc) for doc in docs], "total": len(docs)}

    def get(self, schedule_id: int) -> dict[str, Any]:
        return self._public(self._get(schedule_id))

    # --- change ---------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        now = iso(self.clock())
        doc = {**self._checked(body), "last_run_at": None, "last_error": None,
               "last_task_count": 0, "created_at": now, "updated_at": now}
        created = self.store.schedules.create(doc)
        self._arm(created)
        return self._public(created)

    def update(self, schedule_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        """PATCH: the given fields replace the schedule's (targets as a whole)."""
        if not changes:
            # As groups and accounts answer: an empty change is a client's mistake, not a no-op.
            raise InvalidParams("The request body changes nothing; give at least one field.")
        current = self._get(schedule_id)
        fields = self._checked({**{k: current[k] for k in EDITABLE}, **changes})
        updated = self.store.schedules.update(schedule_id,
                                              {**fields, "updated_at": iso(self.clock())})
        if updated is None:
            raise self._not_found(schedule_id)
        self._arm(updated)
        return self._public(updated)

    def delete(self, schedule_id: int) -> dict[str, Any]:
        if not self.store.schedules.delete(schedule_id):
            raise self._not_found(schedule_id)
        self.timekeeper.remove(job_id(schedule_id))
        return {"deleted_ids": [schedule_id]}

    def run(self, schedule_id: int) -> dict[str, Any]:
        """Fire now (as the timekeeper would): the create answer, or its error, which is also
        recorded on the schedule. A disabled schedule never fires: 40001 naming `enabled`."""
        doc = self._get(schedule_id)
        if not doc["enabled"]:
            raise InvalidParams(f"Invalid parameter enabled: schedule {schedule_id} is disabled "
                                "and never fires; enable it first.",
                                data={"field": "enabled", "id": schedule_id})
        return self._fire(doc)

    # --- firing (timekeeper workers) --------------------------------------------------------

    def fire(self, schedule_id: int) -> None:
        """The job of schedule `schedule_id`. Reads the schedule afresh: one deleted or disabled
        since the job was due does not fire."""
        doc = self.store.schedules.get(schedule_id)
        if doc is None or not doc["enabled"]:
            log.info("schedule %s is %s: not fired", schedule_id,
                     "gone" if doc is None else "disabled")
            return
        try:
            self._fire(doc)
        except Exception:  # noqa: BLE001, S110 recorded and logged by _fire: the scheduler carries on
            pass

    def _fire(self, doc: dict[str, Any]) -> dict[str, Any]:
        body = {"script_name": doc["script_name"], "script_config": doc["script_config"],
                **doc["targets"]}
        try:
            result = self.tasks.create(body, source="schedule", schedule_id=doc["id"])
        except ApplianceError as exc:
            log.warning("schedule %d %r fired and created no task: %s", doc["id"], doc["name"],
                        exc.message)
            self._record(doc["id"], exc.message, 0)
            raise
        except Exception as exc:
            log.exception("schedule %d %r fired and failed", doc["id"], doc["name"])
            self._record(doc["id"], f"internal error: {exc}", 0)
            raise
        log.info("schedule %d %r fired: %d task(s)", doc["id"], doc["name"],
                 result["created_count"])
        self._record(doc["id"], None, result["created_count"])
        return result

    def _record(self, schedule_id: int, error: str | None, count: int) -> None:
        self.store.schedules.update(schedule_id, {"last_run_at": iso(self.clock()),
                                                  "last_error": error, "last_task_count": count})

    # --- the timekeeper's jobs ----------------------------------------------------------------

    def reconcile(self) -> None:
        """At start, before anything fires: one job per enabled schedule, none for the others
        (a job whose trigger is unchanged keeps its stored next run time)."""
        wanted = set()
        for doc in self.store.schedules.list():
            if doc["enabled"]:
                self._arm(doc)
                wanted.add(job_id(doc["id"]))
        for known in self.timekeeper.persistent_ids():
            if known.startswith(KIND + "-") and known not in wanted:
                self.timekeeper.remove(known)

    def _arm(self, doc: dict[str, Any]) -> None:
        if doc["enabled"]:
            self.timekeeper.put(job_id(doc["id"]), KIND, [doc["id"]], self._trigger(doc),
                                f"schedule {doc['id']} {doc['name']!r}")
            if self.store.schedules.get(doc["id"]) is not None:
                return
            # A DELETE ran between this change's write and its job: that job must not outlive
            # the schedule (delete removes the record before the job, so this sees it gone).
        self.timekeeper.remove(job_id(doc["id"]))

    def _trigger(self, doc: dict[str, Any]) -> WeeklyTimes:
        return WeeklyTimes((WEEKDAYS.index(day) for day in doc["weekdays"]), doc["times"],
                           self.timekeeper.zone)

    # --- checks and shapes ----------------------------------------------------------------------

    def _checked(self, body: dict[str, Any]) -> dict[str, Any]:
        """The schedule's fields from a body the API schema passed: normalised (weekdays as
        names in week order, times sorted once each), the script and targets checked now, so
        that a mistake is a 40001 at once rather than a failed firing later."""
        name = body["name"].strip()
        if not name:
            raise InvalidParams("Invalid parameter name: give the schedule a name.",
                                data={"field": "name"})
        weekdays = sorted({weekday_number(day) for day in body.get("weekdays", [])})
        times = sorted(set(body["times"]))
        if not times:
            raise InvalidParams("Invalid parameter times: give at least one time (HH:MM).",
                                data={"field": "times"})
        if len(times) > MAX_TIMES:
            raise InvalidParams(f"Invalid parameter times: {len(times)} times; at most "
                                f"{MAX_TIMES} a day.", data={"field": "times"})
        script_config = body.get("script_config") or {}
        try:
            script = self.registry.get(body["script_name"])
        except ApplianceError as exc:   # 40003 for POST /task; here the field is what is wrong
            raise InvalidParams(f"Invalid parameter script_name: {exc.message}",
                                data={"field": "script_name"}) from None
        check_config_size(script.fanout(script.validate(script_config)), 1)
        return {"name": name, "weekdays": [WEEKDAYS[day] for day in weekdays], "times": times,
                "targets": self._targets(body["targets"]), "script_name": body["script_name"],
                "script_config": script_config, "enabled": body.get("enabled", True)}

    def _targets(self, targets: dict[str, Any]) -> dict[str, Any]:
        kind = next(k for k in TARGET_KINDS if k in targets)
        values = list(dict.fromkeys(targets[kind]))
        if kind == "groups":
            self.groups.serials_of(values, field="targets.groups")
        elif kind == "usernames":
            for username in values:
                if self.store.accounts.get_by_username(username) is None:
                    raise InvalidParams(f"Invalid parameter targets.usernames: unknown account "
                                        f"{username!r}.", data={"field": "targets.usernames",
                                                                "username": username})
        return {kind: values}

    def _public(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = {"id": doc["id"], **doc}
        out["timezone"] = self.timekeeper.zone.key
        out["next_run_times"] = [iso(moment) for moment in self._next_runs(doc)]
        return out

    def _next_runs(self, doc: dict[str, Any]) -> builtins.list[datetime]:
        """The coming firings: from the stored job's next run time (which a restart keeps)
        when the timekeeper runs, else by the trigger from now."""
        if not doc["enabled"]:
            return []
        trigger = self._trigger(doc)
        first = self.timekeeper.next_run_time(job_id(doc["id"]))
        if first is None:
            return trigger.next_times(self.clock(), NEXT_RUNS)
        runs = [first]
        while len(runs) < NEXT_RUNS:
            after = trigger.get_next_fire_time(runs[-1], runs[-1])
            if after is None:
                break
            runs.append(after)
        return runs

    def _get(self, schedule_id: int) -> dict[str, Any]:
        doc = self.store.schedules.get(schedule_id)
        if doc is None:
            raise self._not_found(schedule_id)
        return doc

    @staticmethod
    def _not_found(schedule_id: int) -> NotFound:
        return NotFound(f"Schedule {schedule_id} does not exist.", data={"id": schedule_id})
