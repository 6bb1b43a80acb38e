"""Deep queues cost the dispatcher nothing: tasks waiting for phones that cannot start are never
read, and a new task for a usable phone starts at the next pass however many others wait. The
dispatcher runs on the real store here, with a fake clock."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from appliance.domain.tasks import FAILED, PENDING, new_task
from appliance.engine.dispatcher import Dispatcher
from appliance.storage import Store

T0 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
WAITING = 5000   # tasks for phones the hub does not see


def task(serial: str, **fields) -> dict:
    doc = new_task(serial=serial, script_name="account_warmup", script_config={"n": 1},
                   source="api", min_interval=0, max_interval=0, start_time=None, now=T0)
    return {**doc, **fields}


class Reads:
    """store.tasks as the dispatcher sees it, noting which documents it reads."""

    def __init__(self, tasks):
        self.tasks = tasks
        self.read: set[int] = set()

    def queues(self, serials=None):
        return self.tasks.queues(serials)

    def get(self, task_id):
        self.read.add(task_id)
        return self.tasks.get(task_id)

    def list(self, filters, offset, limit):
        page, total = self.tasks.list(filters, offset, limit)
        self.read.update(t["id"] for t in page)
        return page, total


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "state") as store:
        store.tasks.create_many([task(f"GONE{n % 50}") for n in range(WAITING)])
        yield store


def started(disp, now=T0) -> list[int]:
    ids = []
    for doc in disp.tick(now).starts:
        disp.started(doc["serial"], doc["id"])
        ids.append(doc["id"])
    return ids


@pytest.mark.parametrize("tracked", [True, False], ids=["usable phones named", "no tracker"])
def test_tasks_for_absent_phones_are_never_read(store, tracked):
    usable = {"A"}
    tasks = Reads(store.tasks)
    disp = Dispatcher(tasks, usable.__contains__, lambda: 10, random.Random(1),
                      (lambda: set(usable)) if tracked else None)
    assert started(disp) == []
    (new,) = store.tasks.create_many([task("A")])
    disp.invalidate()   # what Engine.wake does after a create
    assert started(disp) == [new["id"]]
    assert tasks.read == {new["id"]}

    usable.add("GONE7")   # a phone comes back: its oldest task first, nothing else read
    assert started(disp) == [8]
    assert tasks.read == {new["id"], 8}


def test_a_head_stopped_between_passes_is_not_started(store):
    first, second = (t["id"] for t in store.tasks.create_many([task("A"), task("A")]))
    limit = [0]
    disp = Dispatcher(store.tasks, lambda s: s == "A", lambda: limit[0], random.Random(1),
                      lambda: {"A"})
    assert started(disp) == []   # no free slot: the head is looked at, not started
    store.tasks.update(first, {"status": FAILED})
    limit[0] = 1
    assert started(disp) == [second]


def test_a_retried_task_is_looked_at_afresh_after_invalidate(store):
    later = (T0 + timedelta(hours=1)).isoformat()
    (waiting,) = (t["id"] for t in store.tasks.create_many([task("A", _not_before=later)]))
    disp = Dispatcher(store.tasks, lambda s: s == "A", lambda: 1, random.Random(1),
                      lambda: {"A"})
    decision = disp.tick(T0)
    assert decision.starts == [] and decision.next_due == T0 + timedelta(hours=1)
    store.tasks.update(waiting, {"status": FAILED})                        # stopped
    store.tasks.update(waiting, {"status": PENDING, "_not_before": None})  # and retried
    disp.invalidate()   # what Engine.wake does after a retry
    assert started(disp) == [waiting]
