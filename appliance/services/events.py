"""Live events behind `GET /events`: task status, phone state and plan changes, numbered in order.

`EventBus.publish` may be called from any thread under any lock (the store calls it under its
lock): it appends to a ring of the last `event_buffer` events and wakes the readers, never waits
for them. Each reader (`Subscription`, one per open stream, at most `event_subscribers`) keeps a
cursor into the ring; one that falls behind the ring's oldest event is told to re-read (`reset`).
`EventService` turns the store's, the tracker's and the plan's changes into events.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from appliance.devices.tracker import DeviceTracker
from appliance.domain.tasks import STATUS_NAMES
from appliance.errors import Busy, InvalidParams
from appliance.services.license import LicenseService
from appliance.storage import Store

if TYPE_CHECKING:
    from appliance.config import Config

# The events a client may ask for by name (`?types=`); TikMatrix's message names where it has
# one (its agent sends `task_status`, `reload_devices`, `reload_license` and `heartbeat`, each
# as JSON with an `action` field naming it). Streams also send `heartbeat`, `reset`, `dropped`
# and `closed`, whatever the filter.
TYPES = ("task_status", "device_status", "reload_devices", "reload_license")


class Event:
    """One published change: its place, id, type and fields (JSON-ready, never changed)."""

    __slots__ = ("data", "id", "seq", "type")

    def __init__(self, seq: int, id: str, type: str, data: dict[str, Any]):
        self.seq, self.id, self.type, self.data = seq, id, type, data


class EventBus:
    """The ring of recent events and the count of open subscriptions. Ids are `<run>-<seq>`:
    `run` is new at every start, so an id from before a restart is never taken for a later one."""

    def __init__(self, buffer: int, max_subscribers: int,
                 settle: Callable[[], None] = lambda: None):
        self.run = secrets.token_hex(4)
        self.max_subscribers = max_subscribers
        self._settle = settle
        self._ring: deque[Event] = deque(maxlen=buffer)
        self._seq = 0
        self._cond = threading.Condition(threading.Lock())
        self._subscribers = 0

    def publish(self, type: str, data: dict[str, Any]) -> None:
        with self._cond:
            self._seq += 1
            self._ring.append(Event(self._seq, f"{self.run}-{self._seq}", type, data))
            self._cond.notify_all()

    def subscribe(self, last_id: str | None = None,
                  types: frozenset[str] = frozenset(TYPES)) -> Subscription:
        """A reader from now on, or from just after `last_id` while the ring still holds what
        followed it (else its first batch says `reset`). Raises Busy at `max_subscribers`."""
        with self._cond:
            if self._subscribers >= self.max_subscribers:
                raise Busy(f"The hub already serves {self.max_subscribers} event streams, the "
                           "most its setting event_subscribers allows; close one, or retry later.")
            cursor, lost = self._resume_point(last_id)
            self._subscribers += 1
            return Subscription(self, cursor, lost, types)

    def _resume_point(self, last_id: str | None) -> tuple[int, bool]:
        """(cursor, whether events after `last_id` are lost). Caller holds the lock."""
        if last_id is None:
            return self._seq, False
        run, _, seq = last_id.rpartition("-")
        if not run or not (seq.isascii() and seq.isdigit()) or len(last_id) > 64:
            raise InvalidParams(f"Invalid Last-Event-ID {last_id[:64]!r}: send back the id of "
                                "the last event this hub sent (run-number), or none.",
                                data={"field": "last_event_id"})
        seq_no = int(seq)
        if run != self.run or seq_no > self._seq or seq_no < self._oldest() - 1:
            return self._seq, True
        return seq_no, False

    def _oldest(self) -> int:
        return self._ring[0].seq if self._ring else self._seq + 1

    def _read(self, sub: Subscription, timeout: float) -> tuple[list[Event], bool]:
        with self._cond:
            if sub.cursor == self._seq:
                self._cond.wait(timeout)
            if sub.cursor == self._seq:
                return [], False
            oldest = self._oldest()
            if sub.cursor < oldest - 1:
                sub.cursor = self._seq
                return [], True
            events = list(self._ring)[sub.cursor + 1 - oldest:]
            sub.cursor = self._seq
        # Published under the store lock before its journal record is on disk: wait for it, so
        # a reader never shows a change a power cut could still undo (as Store.reading does).
        self._settle()
        return events, False

    def _leave(self) -> None:
        with self._cond:
            self._subscribers -= 1

    @property
    def subscribers(self) -> int:
        with self._cond:
            return self._subscribers


class Subscription:
    """One reader's place in the bus; `close()` frees its slot (idempotent). One thread reads."""

    def __init__(self, bus: EventBus, cursor: int, lost: bool, types: frozenset[str]):
        self.bus, self.cursor, self.types = bus, cursor, types
        self._lost = lost
        self._open = True

    @property
    def last_id(self) -> str:
        """The id of the last event this reader has been given (or skipped past)."""
        return f"{self.bus.run}-{self.cursor}"

    def next(self, timeout: float) -> tuple[list[Event], bool]:
        """(events of the chosen types after the cursor, waiting up to `timeout` for one;
        `reset`: events were lost, the reader must re-read the state it shows)."""
        events, lost = self.bus._read(self, 0 if self._lost else timeout)
        lost, self._lost = lost or self._lost, False
        return [e for e in events if e.type in self.types], lost

    def close(self) -> None:
        if self._open:
            self._open = False
            self.bus._leave()


class EventService:
    """The hub's events: wired to the store's tasks, the tracker (when adb is on) and the plan."""

    def __init__(self, config: Config, store: Store, license: LicenseService):
        self.bus = EventBus(config.event_buffer, config.event_subscribers, settle=self._settle)
        self._store = store
        self._license = license
        self._plan = license.plan().name
        self._lock = threading.Lock()        # the plan seen and the phones seen
        self._phones: dict[str, str] = {}
        store.tasks.subscribe(self._task_changed)

    def _settle(self) -> None:
        with self._store.reading():
            pass

    def subscribe(self, last_id: str | None, types: frozenset[str]) -> Subscription:
        return self.bus.subscribe(last_id, types)

    def watch_devices(self, tracker: DeviceTracker) -> None:
        tracker.subscribe(self._device_changed)

    def refresh(self) -> None:
        """Look at what tells no one when it changes: the plan file, which `appliance license
        set` rewrites (the hub re-reads it per request). Open streams call this every second."""
        plan = self._license.plan()
        with self._lock:
            if plan.name != self._plan:
                self._plan = plan.name
                self.bus.publish("reload_license", {"data": plan.describe()})

    def _task_changed(self, task_id: int, serial: str | None, old: int | None,
                      new: int | None) -> None:
        # Under the store lock: build the event and go.
        self.bus.publish("task_status", {
            "task_id": task_id, "serial": serial, "status": new,
            "status_name": "deleted" if new is None else STATUS_NAMES[new],
            "previous": old})

    def _device_changed(self, serial: str, state: str) -> None:
        # Tracker and health threads both notify: under the lock, events keep the order in
        # which the phones seen were updated.
        with self._lock:
            before = self._phones.get(serial)
            self._phones[serial] = state
            self.bus.publish("device_status", {"serial": serial, "state": state})
            if before is None or (before == "absent") != (state == "absent"):
                # The list a client shows changed: a phone appeared, left or came back.
                self.bus.publish("reload_devices", {"data": {"serial": serial, "state": state}})
