"""The dispatcher's decisions: which pending task starts on which phone now, as `tick(now)`.

Pure apart from reading the store's per-phone queues and asking which phones are usable; time and
chance come in (`now`, a seeded `random.Random`). A tick looks only at phones that could start a
task (usable, idle), so its cost follows the phones, not the depth of the queues. Threads: the
engine's loop thread calls `tick` and `started`; `ended` comes from worker and request threads
under the engine's lock (it only removes from `running`, so a tick sees at worst a phone still
busy); `invalidate` from any thread, under `_lock`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from appliance.domain.tasks import FINISHED, PENDING, next_start


class Tasks(Protocol):
    """The slice of the store's TaskRepo the dispatcher reads."""

    def queues(self, serials: Iterable[str] | None = None) -> dict[str, list[int]]: ...
    def get(self, task_id: int) -> dict[str, Any] | None: ...
    def list(self, filters: dict[str, Any], offset: int, limit: int) -> tuple[list[dict[str, Any]], int]: ...


@dataclass
class Decision:
    starts: list[dict[str, Any]] = field(default_factory=list)   # task docs to start now, oldest first
    next_due: datetime | None = None                    # earliest moment a waiting task may start


class Plan(NamedTuple):
    """What the dispatcher needs of a pending task, read once from its document."""

    not_before: datetime | None
    min_interval: float
    max_interval: float


def not_before(task: dict[str, Any]) -> datetime | None:
    """The moment before which `task` must not start (start_time or an auto-retry delay).
    A malformed value is ignored (the task may start) rather than halting every dispatch."""
    try:
        value = task.get("_not_before")
        if value:
            return datetime.fromisoformat(value)
        if task.get("start_time") and task.get("created_at"):
            # docs/API.md, POST /task: start_time is the next such moment after creation.
            return next_start(task["start_time"], datetime.fromisoformat(task["created_at"]))
    except (TypeError, ValueError):
        return None
    return None


def plan_of(task: dict[str, Any]) -> Plan:
    low = float(task.get("min_interval") or 0)
    return Plan(not_before(task), low, max(low, float(task.get("max_interval") or 0)))


class Dispatcher:
    """Per-phone FIFO queues (the store's pending tasks by phone) with the execution rules of
    docs/API.md; with `random_order()` true (the setting random_order), each phone's queue is
    shuffled instead: every pending task draws a random place once, kept until it starts.

    The engine reports each start (`started`) and end (`ended`); the dispatcher remembers which
    phone runs what and when each phone went idle, and draws the idle wait of each phone's head
    task once.
    `candidates()`, if given, names the phones that may be usable (a superset of those for which
    `usable(serial)` is true): then phones outside it cost nothing, however many tasks wait for
    them. Without it every phone with pending tasks is asked.
    """

    def __init__(self, tasks: Tasks, usable: Callable[[str], bool],
                 device_limit: Callable[[], int], rng: random.Random,
                 candidates: Callable[[], Iterable[str]] | None = None,
                 random_order: Callable[[], bool] = lambda: False):
        self._tasks = tasks
        self._random_order = random_order
        self._usable = usable
        self._device_limit = device_limit
        self._rng = rng
        self._candidates = candidates
        self.running: dict[str, int] = {}          # serial -> running task id
        self.last_ended: dict[str, datetime] = {}  # serial -> when its previous task ended
        self._waits: dict[str, tuple[int, float]] = {}  # serial -> (head task id, its idle wait)
        self._looked_up: set[str] = set()          # phones whose stored last end was read
        # random_order: serial -> {pending task id: its drawn place}; the loop thread's only.
        self._places: dict[str, dict[int, float]] = {}
        # Plans of the pending tasks a tick looked at, per phone. A pending task's document does
        # not change while it stays pending; `invalidate` (new, retried, stopped or requeued
        # work) drops them all, in case one left and came back meanwhile.
        self._plans: dict[str, dict[int, Plan]] = {}
        self._lock = threading.Lock()   # request threads invalidate; the loop reads
        self._generation = 0            # bumped by invalidate: a plan read racing it is not kept

    def invalidate(self) -> None:
        with self._lock:
            self._plans = {}
            self._generation += 1

    def started(self, serial: str, task_id: int) -> None:
        self.running[serial] = task_id
        self._places.get(serial, {}).pop(task_id, None)
        if self._waits.get(serial, (None,))[0] == task_id:
            del self._waits[serial]
        with self._lock:
            self._plans.get(serial, {}).pop(task_id, None)

    def ended(self, serial: str, task_id: int, now: datetime | None) -> None:
        """The run of `task_id` on `serial` is over; `now` None: it never used the phone."""
        if self.running.get(serial) == task_id:
            del self.running[serial]
        if now is not None:
            self.last_ended[serial] = now

    def tick(self, now: datetime) -> Decision:
        """Decide the starts for `now`. Rules, in order:
        - a phone runs one task at a time; at most device_limit phones run at once;
        - a phone's queue is its pending tasks oldest first (random_order: in places drawn
          once per task from the seeded rng); a task whose start_time (or
          auto-retry delay) has not come yet does not hold up the tasks behind it;
        - the phone must be usable (online, not hot, not quarantined); otherwise its tasks wait;
        - the head task starts once the phone has been idle for a wait drawn from its
          [min_interval, max_interval] since its previous task ended (no previous task: no wait);
        - free slots go to the phones whose waiting task is oldest.
        """
        decision = Decision()
        if self._candidates is None:
            queues = self._tasks.queues()
            ready = [s for s in queues if s not in self.running and self._usable(s)]
        else:
            ready = [s for s in sorted(self._candidates())   # sorted: seeded draws repeat
                     if s not in self.running and self._usable(s)]
            queues = self._tasks.queues(ready)
        with self._lock:
            generation = self._generation
        heads = []
        for serial in ready:
            ids = queues.get(serial)
            if ids and self._random_order():
                ids = self._shuffled(serial, ids)
            if ids:
                head = self._head(serial, ids, now, generation, decision)
                if head is not None:
                    heads.append(head)
        heads.sort()
        slots = self._device_limit() - len(self.running)
        for task_id, serial, plan in heads:
            if slots <= 0:
                break
            due = self._due(task_id, plan, serial, now)
            if due > now:
                decision.next_due = _earliest(decision.next_due, due)
                continue
            task = self._tasks.get(task_id)
            if task is None or task.get("status") != PENDING:
                continue   # stopped or deleted since the queue was read
            decision.starts.append(task)
            slots -= 1
        return decision

    def _head(self, serial: str, ids: list[int], now: datetime, generation: int,
              decision: Decision) -> tuple[int, str, Plan] | None:
        """The phone's first task that may start by its schedule; later-scheduled ones before it
        only bring `decision.next_due` forward."""
        with self._lock:
            known = self._plans.get(serial, {})
        plans: dict[int, Plan] = {}
        head = None
        for task_id in ids:
            plan = known.get(task_id)
            if plan is None:
                task = self._tasks.get(task_id)
                if task is None:
                    continue
                plan = plan_of(task)
            plans[task_id] = plan
            if plan.not_before is not None and plan.not_before > now:
                decision.next_due = _earliest(decision.next_due, plan.not_before)
                continue   # a scheduled task does not block the phone's later tasks
            head = (task_id, serial, plan)
            break
        with self._lock:
            if generation == self._generation:
                self._plans[serial] = plans
        return head

    def _shuffled(self, serial: str, ids: list[int]) -> list[int]:
        """The phone's pending ids in their drawn places (a new task draws one now); places of
        tasks no longer pending are forgotten."""
        known = self._places.get(serial, {})
        places = {task_id: known[task_id] if task_id in known else self._rng.random()
                  for task_id in ids}
        self._places[serial] = places
        return sorted(ids, key=places.__getitem__)

    def _due(self, task_id: int, plan: Plan, serial: str, now: datetime) -> datetime:
        ended = self.last_ended.get(serial) or self._stored_end(serial)
        if ended is None:
            return now
        drawn = self._waits.get(serial)
        if drawn is None or drawn[0] != task_id:
            drawn = self._waits[serial] = (
                task_id, self._rng.uniform(plan.min_interval, plan.max_interval))
        return ended + timedelta(seconds=drawn[1])

    def _stored_end(self, serial: str) -> datetime | None:
        """A restart forgets when each phone's previous task ended; the latest stored finished_at
        of its recent tasks stands in (tasks interrupted by the restart ended at recovery), so
        the idle interval holds across restarts too. Read once per phone."""
        if serial in self._looked_up:
            return None
        self._looked_up.add(serial)
        ends = []
        for status in FINISHED:
            page, _total = self._tasks.list({"serial": serial, "status": status}, 0, 20)
            for task in page:
                try:
                    ends.append(datetime.fromisoformat(task["finished_at"]))
                except (KeyError, TypeError, ValueError):
                    continue
        if not ends:
            return None
        return self.last_ended.setdefault(serial, max(ends))


def _earliest(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a
