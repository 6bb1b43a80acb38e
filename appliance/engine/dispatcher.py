"""The dispatcher's decisions: which pending task starts on which phone now, as `tick(now)`.

Pure apart from reading tasks from the store and asking whether a phone is usable; time and
chance come in (`now`, a seeded `random.Random`). Threads: the engine's loop thread calls `tick`
and `started`; `ended` comes from worker and request threads under the engine's lock (it only
removes from `running`, so a tick sees at worst a phone still busy); `invalidate` from any
thread, under `_cache_lock`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from appliance.domain.tasks import FINISHED, PENDING, next_start

# A page size that means "all of them" for the store's list(); pending tasks are few compared
# with finished ones, and the store filters before it slices.
ALL = 10**9


@dataclass
class Decision:
    starts: list[dict] = field(default_factory=list)   # task docs to start now, oldest first
    next_due: datetime | None = None                    # earliest moment a waiting task may start


def not_before(task: dict) -> datetime | None:
    """The moment before which `task` must not start (start_time or an auto-retry delay).
    A malformed value is ignored (the task may start) rather than halting every dispatch."""
    try:
        value = task.get("_not_before")
        if value:
            return datetime.fromisoformat(value)
        if task.get("start_time") and task.get("created_at"):
            # CONTRACT: start_time is the next such moment after creation.
            return next_start(task["start_time"], datetime.fromisoformat(task["created_at"]))
    except (TypeError, ValueError):
        return None
    return None


class Dispatcher:
    """Per-phone FIFO queues over the store's pending tasks, with the execution rules of CONTRACT.

    The engine reports each start (`started`) and end (`ended`); the dispatcher remembers which
    phone runs what and when each phone went idle, and draws each task's idle wait once.
    """

    def __init__(self, tasks, usable: Callable[[str], bool], device_limit: Callable[[], int],
                 rng: random.Random):
        self._tasks = tasks
        self._usable = usable
        self._device_limit = device_limit
        self._rng = rng
        self.running: dict[str, int] = {}          # serial -> running task id
        self.last_ended: dict[str, datetime] = {}  # serial -> when its previous task ended
        self._waits: dict[int, float] = {}         # task id -> idle wait drawn for it (seconds)
        self._looked_up: set[str] = set()          # phones whose stored last end was read
        # Pending tasks as last read from the store, oldest first. Re-read when `invalidate`d
        # (new or retried work, the periodic poll); in between, starts and ends only remove
        # entries, so a finished run does not cost a full scan of the store.
        self._cache: list[dict] | None = None
        self._cache_lock = threading.Lock()   # request threads invalidate; the loop reads
        self._generation = 0                  # bumped by invalidate: a load racing it is stale

    def invalidate(self) -> None:
        with self._cache_lock:
            self._cache = None
            self._generation += 1

    def forget(self, task_id: int) -> None:
        """A cached task that is no longer pending (started, stopped or deleted meanwhile)."""
        with self._cache_lock:
            if self._cache is not None:
                self._cache = [t for t in self._cache if t["id"] != task_id]

    def started(self, serial: str, task_id: int) -> None:
        self.running[serial] = task_id
        self._waits.pop(task_id, None)
        self.forget(task_id)

    def ended(self, serial: str, task_id: int, now: datetime | None) -> None:
        """The run of `task_id` on `serial` is over; `now` None: it never used the phone."""
        if self.running.get(serial) == task_id:
            del self.running[serial]
        if now is not None:
            self.last_ended[serial] = now

    def pending(self) -> list[dict]:
        with self._cache_lock:
            if self._cache is not None:
                return self._cache
            generation = self._generation
        page, _total = self._tasks.list({"status": PENDING}, 0, ALL)
        fresh = sorted(page, key=lambda t: t["id"])
        with self._cache_lock:
            if generation == self._generation:   # else read again at the next tick
                self._cache = fresh
        return fresh

    def tick(self, now: datetime) -> Decision:
        """Decide the starts for `now`. Rules, in order:
        - a phone runs one task at a time; at most device_limit phones run at once;
        - a phone's queue is its pending tasks oldest first; a task whose start_time (or
          auto-retry delay) has not come yet does not hold up the tasks behind it;
        - the phone must be usable (online, not hot, not quarantined); otherwise its tasks wait;
        - the head task starts once the phone has been idle for a wait drawn from its
          [min_interval, max_interval] since its previous task ended (no previous task: no wait);
        - free slots go to the phones whose waiting task is oldest.
        """
        decision = Decision()
        pending = self.pending()
        live = {t["id"] for t in pending}
        for task_id in [i for i in self._waits if i not in live]:
            del self._waits[task_id]
        slots = self._device_limit() - len(self.running)
        seen: set[str] = set()
        for task in pending:
            serial = task["serial"]
            if serial in seen or serial in self.running:
                continue
            start_at = not_before(task)
            if start_at is not None and start_at > now:
                decision.next_due = _earliest(decision.next_due, start_at)
                continue  # a scheduled task does not block the phone's later tasks
            seen.add(serial)  # this is the phone's head task: later ones wait behind it
            if slots <= 0 or not self._usable(serial):
                continue
            due = self._due(task, serial, now)
            if due > now:
                decision.next_due = _earliest(decision.next_due, due)
                continue
            decision.starts.append(task)
            slots -= 1
        return decision

    def _due(self, task: dict, serial: str, now: datetime) -> datetime:
        ended = self.last_ended.get(serial) or self._stored_end(serial)
        if ended is None:
            return now
        wait = self._waits.get(task["id"])
        if wait is None:
            low = float(task.get("min_interval") or 0)
            high = max(low, float(task.get("max_interval") or 0))
            wait = self._waits[task["id"]] = self._rng.uniform(low, high)
        return ended + timedelta(seconds=wait)

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
