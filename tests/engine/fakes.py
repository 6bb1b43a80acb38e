"""In-memory stand-ins for the store, tracker and client, and small test scripts, so the engine's
thread logic is tested in milliseconds; the end-to-end tests use the real parts."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import ClassVar

from appliance.config import Config
from appliance.domain.tasks import new_task
from appliance.errors import DeviceLost, InvalidParams
from appliance.scripts import Registry, Script
from tests.fixtures import wait_for as _wait_for

# The suite's one wait_for, polling every 5 ms: these conditions are in-process reads.
wait_for = partial(_wait_for, interval=0.005)


def now():
    return datetime.now(UTC)


class FakeTasks:
    """The TaskRepo seam in memory; tests/storage/test_task_store_contract.py holds it to the
    real TaskRepo's behaviour."""

    FILTERS = ("status", "serial", "script_name", "source", "username")
    NAMES = ((0, "pending"), (1, "running"), (2, "completed"), (3, "failed"))

    def __init__(self):
        self._docs: dict[int, dict] = {}
        self._logs: dict[int, list] = {}
        self._lock = threading.RLock()
        self._next = 1
        self._subscribers = []

    def subscribe(self, callback):
        with self._lock:
            self._subscribers.append(callback)

    def _tell(self, task_id, serial, old, new):
        for callback in self._subscribers:
            callback(task_id, serial, old, new)

    def create_many(self, docs):
        with self._lock:
            if not all(isinstance(doc, dict) for doc in docs):
                raise InvalidParams("a task must be an object")
            out = []
            for doc in docs:
                doc = copy.deepcopy(dict(doc, id=self._next))
                self._next += 1
                self._docs[doc["id"]] = doc
                self._tell(doc["id"], doc.get("serial"), None, doc.get("status"))
                out.append(copy.deepcopy(doc))
            return out

    def get(self, task_id):
        with self._lock:
            doc = self._docs.get(task_id)
            return copy.deepcopy(doc) if doc else None

    def list(self, filters, offset, limit):
        wanted = {k: v if isinstance(v, frozenset) else frozenset((v,))
                  for k, v in (filters or {}).items() if v is not None}
        for key in wanted:
            if key not in self.FILTERS:
                raise InvalidParams(f"cannot filter tasks by {key!r}; use one of {', '.join(self.FILTERS)}")
        offset, limit = max(0, int(offset)), max(0, int(limit))
        with self._lock:
            page = [copy.deepcopy(d) for d in self._docs.values()
                    if all(d.get(k) in v for k, v in wanted.items())]
        page.sort(key=lambda d: -d["id"])
        return page[offset:offset + limit], len(page)

    def update(self, task_id, changes):
        with self._lock:
            doc = self._docs.get(task_id)
            if doc is None:
                return None
            if callable(changes):
                changes = changes(copy.deepcopy(doc))
            if changes:
                old = doc.get("status")
                doc.update(copy.deepcopy({k: v for k, v in changes.items() if k != "id"}))
                if doc.get("status") != old:
                    self._tell(task_id, doc.get("serial"), old, doc.get("status"))
            return copy.deepcopy(doc)

    def delete_many(self, ids):
        with self._lock:
            gone = []
            for task_id in ids:
                doc = self._docs.pop(task_id, None)
                if doc is not None:
                    gone.append(task_id)
                    self._logs.pop(task_id, None)
                    self._tell(task_id, doc.get("serial"), doc.get("status"), None)
            return gone

    def stats(self):
        with self._lock:
            out = {"total": len(self._docs)}
            for status, name in self.NAMES:
                out[name] = sum(1 for d in self._docs.values() if d.get("status") == status)
            return out

    def queues(self, serials=None):
        with self._lock:
            out = {}
            for task_id, doc in sorted(self._docs.items()):
                if doc["status"] == 0 and (serials is None or doc["serial"] in serials):
                    out.setdefault(doc["serial"], []).append(task_id)
            return out

    def ids_where(self, status=None, serial=None):
        with self._lock:
            return sorted(i for i, d in self._docs.items()
                          if (status is None or d["status"] == status)
                          and (serial is None or d["serial"] == serial))

    def append_log(self, task_id, line, limit):
        with self._lock:
            if task_id not in self._docs:
                return
            lines = self._logs.setdefault(task_id, [])
            lines.append(copy.deepcopy(line))
            del lines[:-limit]

    def logs(self, task_id):
        with self._lock:
            return copy.deepcopy(self._logs.get(task_id, []))


class FakeStore:
    def __init__(self):
        self.tasks = FakeTasks()

    def add(self, serial, script="noop", config=None, **fields):
        doc = new_task(serial=serial, script_name=script, script_config=config or {},
                       source="api", min_interval=0, max_interval=0, start_time=None, now=now())
        doc.update(fields)
        return self.tasks.create_many([doc])[0]["id"]

    def status(self, task_id):
        return self.tasks.get(task_id)["status"]


class FakeTracker:
    def __init__(self, serials):
        self.states = dict.fromkeys(serials, "device")
        self.quarantined = {}
        self.held = {}
        self.callbacks = []

    def get(self, serial):
        state = self.states.get(serial)
        return None if state is None else SimpleNamespace(serial=serial, state=state)

    def usable(self, serial):
        return self.states.get(serial) == "device" and serial not in self.quarantined

    def usable_serials(self):
        return {serial for serial in self.states if self.usable(serial)}

    def quarantine(self, serial, reason):
        self.quarantined[serial] = reason

    def hold(self, serial, reason, seconds):
        self.held[serial] = reason

    def subscribe(self, callback):
        self.callbacks.append(callback)

    def set_state(self, serial, state):
        self.states[serial] = state
        if state == "device":
            self.quarantined.pop(serial, None)
        for callback in self.callbacks:
            callback(serial, state)


class FakeClient:
    """shell() records calls; 'block' blocks until cancelled (like an adb call in flight)."""

    def __init__(self):
        self.calls = []
        self.lost = set()
        self._lock = threading.Lock()
        self._active = {}
        self.overlaps = []     # (serial, task ids) seen running at once on one phone

    def shell(self, serial, command, timeout=30, cancel=None):
        with self._lock:
            self.calls.append((serial, command))
            if command.startswith("echo "):
                owner = self._active.get(serial)
                if owner is None:
                    self._active[serial] = command
                elif owner == command:
                    del self._active[serial]     # second echo of the same task: it is done
                else:
                    self.overlaps.append((serial, owner, command))
        if serial in self.lost:
            raise DeviceLost(f"device {serial} disconnected")
        if command == "block":
            (cancel or threading.Event()).wait(timeout)
            raise DeviceLost("aborted")
        return SimpleNamespace(output="ok", status=0)


class Noop(Script):
    name = "noop"
    schema: ClassVar[dict] = {"type": "object",
                              "properties": {"remark": {"type": "string", "default": "done"}}}

    def run(self, ctx):
        ctx.shell(f"echo {ctx.task_id}")
        ctx.sleep(0.01)   # a script's own pause (the engine's cancellable ctx.sleep), not a test's
        ctx.shell(f"echo {ctx.task_id}")
        ctx.log("said hi")
        return ctx.config["remark"]


class Block(Script):
    """Blocks in an adb call until stopped."""
    name = "block"

    def run(self, ctx):
        ctx.log("blocking")
        ctx.shell("block", timeout=60)


class Sleepy(Script):
    """Cooperative: sleeps through ctx.sleep."""
    name = "sleepy"

    def run(self, ctx):
        ctx.sleep(60)     # under test: stop must cut a script's ctx.sleep short


class Stubborn(Script):
    """Ignores cancellation entirely."""
    name = "stubborn"
    release = threading.Event()

    def run(self, ctx):
        Stubborn.release.wait(30)
        return "finished late"


class Crash(Script):
    name = "crash"

    def run(self, ctx):
        raise ZeroDivisionError("division by zero")


def registry():
    reg = Registry()
    for script in (Noop(), Block(), Sleepy(), Stubborn(), Crash()):
        reg.register(script)
    return reg


def config(**overrides):
    base = {"stop_grace": 1.0, "task_timeout": 30.0}
    base.update(overrides)
    return Config().replace(**base)


def timekeeper():
    """A started Timekeeper without persistent jobs: the engine's alarm clock. stop() it."""
    from zoneinfo import ZoneInfo

    from appliance.services.timekeeper import Timekeeper

    keeper = Timekeeper(ZoneInfo("UTC"), 600, now)
    keeper.start()
    return keeper
