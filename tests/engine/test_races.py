"""API stop/delete/retry against the engine starting or finishing the same task, on the real
store with the engine's threads (phones faked): nothing runs twice, nothing ends in an impossible
state, and stop/delete answer only once nothing runs for the task any more."""

from __future__ import annotations

import random
import threading
from typing import ClassVar

import pytest

from appliance.domain.tasks import FAILED, PENDING, RUNNING, new_task
from appliance.engine import Engine
from appliance.scripts import Script
from appliance.services.tasks import TaskService
from appliance.storage import Store

from .fakes import FakeClient, FakeTracker, config, now, registry, timekeeper, wait_for

SERIALS = ["A", "B", "C"]


class Gated(Script):
    """Runs until cancelled; counts its runs per task (a task must never run twice at once)."""
    name = "gated"
    runs: ClassVar[dict[int, int]] = {}
    active: ClassVar[set[int]] = set()
    twice: ClassVar[list[int]] = []
    lock = threading.Lock()

    def run(self, ctx):
        with Gated.lock:
            if ctx.task_id in Gated.active:
                Gated.twice.append(ctx.task_id)
            Gated.active.add(ctx.task_id)
            Gated.runs[ctx.task_id] = Gated.runs.get(ctx.task_id, 0) + 1
        try:
            ctx.sleep(60)     # a script that runs until stopped (the engine's ctx.sleep)
        finally:
            with Gated.lock:
                Gated.active.discard(ctx.task_id)


class Flaky(Script):
    """Fails once `release` is set (so an auto-retry requeues it)."""
    name = "flaky"
    release = threading.Event()

    def run(self, ctx):
        Flaky.release.wait(30)
        raise RuntimeError("flaked")


class Deaf(Script):
    """Ignores every stop until `release` is set."""
    name = "deaf"
    release = threading.Event()

    def run(self, ctx):
        Deaf.release.wait(30)


class Failing(Gated):
    """Fails at once; counts its runs per task."""
    name = "failing"
    runs: ClassVar[dict[int, int]] = {}
    active: ClassVar[set[int]] = set()
    twice: ClassVar[list[int]] = []

    def run(self, ctx):
        with Gated.lock:
            if ctx.task_id in Failing.active:
                Failing.twice.append(ctx.task_id)
            Failing.active.add(ctx.task_id)
            Failing.runs[ctx.task_id] = Failing.runs.get(ctx.task_id, 0) + 1
        try:
            ctx.sleep(0.005)  # a script's brief work before it fails (the engine's ctx.sleep)
            raise RuntimeError("no luck")
        finally:
            with Gated.lock:
                Failing.active.discard(ctx.task_id)


@pytest.fixture
def rig(tmp_path):
    made = []
    keeper = timekeeper()

    def make(**overrides):
        Gated.runs.clear(), Gated.active.clear(), Gated.twice.clear()
        Failing.runs.clear(), Failing.active.clear(), Failing.twice.clear()
        Flaky.release.clear(), Deaf.release.clear()
        reg = registry()
        for script in (Gated(), Flaky(), Failing(), Deaf()):
            reg.register(script)
        cfg = config(**overrides)
        store = Store.open(tmp_path / f"state{len(made)}")
        engine = Engine(cfg, store, reg, now, random.Random(1), timer=keeper,
                        client=FakeClient(), tracker=FakeTracker(SERIALS))
        service = TaskService(cfg, store, now, registry=reg, engine=engine)
        made.append((engine, store))
        return engine, store, service

    yield make
    for engine, store in made:
        engine.stop(timeout=1)
        store.close()
    keeper.stop()


def add(store, serial, script="gated"):
    doc = new_task(serial=serial, script_name=script, script_config={}, source="api",
                   min_interval=0, max_interval=0, start_time=None, now=now())
    return store.tasks.create_many([doc])[0]["id"]


def status(store, task_id):
    return store.tasks.get(task_id)["status"]


def test_delete_of_a_pending_task_the_dispatcher_starts_meanwhile_leaves_nothing_running(rig):
    engine, store, service = rig()
    task_id = add(store, "A")
    real_delete = store.tasks.delete_many

    def delete_once_it_runs(ids):
        # The service saw the task pending; the dispatcher starts it before the delete lands.
        engine.start()
        wait_for(lambda: Gated.runs.get(task_id))
        return real_delete(ids)

    store.tasks.delete_many = delete_once_it_runs
    assert service.delete_many([task_id]) == {"deleted_ids": [task_id], "not_found": []}
    assert store.tasks.get(task_id) is None
    assert engine.running() == {} and Gated.active == set()
    after = add(store, "A", "noop")      # the phone is free for its next task
    engine.wake()
    wait_for(lambda: status(store, after) == 2)


def test_delete_many_of_running_tasks_stops_them_all_with_one_wait(rig):
    engine, store, service = rig(stop_grace=0.5)
    deaf = [add(store, s, "deaf") for s in SERIALS[:2]]
    ids = [*deaf, add(store, "C")]
    engine.start()
    wait_for(lambda: all(status(store, i) == RUNNING for i in ids))
    runs = {i: engine._runs[i] for i in ids}
    cancelled_at_first_abandon = []
    real_abandon = engine._abandon

    def abandon(run, *a, **kw):
        if not cancelled_at_first_abandon:
            cancelled_at_first_abandon.append(sorted(i for i, r in runs.items() if r.cancel.is_set()))
        real_abandon(run, *a, **kw)

    engine._abandon = abandon
    try:
        assert service.delete_many([*ids, 999]) == {"deleted_ids": ids, "not_found": [999]}
    finally:
        Deaf.release.set()
    # every run was told to stop before the engine gave up waiting on the first deaf one
    assert cancelled_at_first_abandon == [sorted(ids)]
    assert engine.running() == {} and Gated.active == set()
    assert all(store.tasks.get(i) is None for i in ids)


def test_stop_of_a_run_that_failed_into_auto_retry_meanwhile_ends_it_failed(rig):
    # stop_grace: the stop below waits it out (the run cannot leave until the stop returns)
    engine, store, service = rig(auto_retry=True, max_retry_count=3, retry_delay_min=30,
                                 retry_delay_max=30, stop_grace=0.2)
    task_id = add(store, "A", "flaky")
    ended = threading.Event()
    real_ended = engine._ended

    def slow_ended(run):          # the run has written its outcome but not left the engine yet
        ended.wait(10)
        real_ended(run)

    engine._ended = slow_ended
    engine.start()
    wait_for(lambda: status(store, task_id) == RUNNING)
    real_stop_task = engine.stop_task

    def stop_after_the_failure(*args, **kw):
        Flaky.release.set()           # the script fails just as the stop arrives
        wait_for(lambda: status(store, task_id) == PENDING)
        try:
            return real_stop_task(*args, **kw)
        finally:
            ended.set()

    engine.stop_task = stop_after_the_failure
    task = service.stop(task_id)
    assert (task["status"], task["remark"]) == (FAILED, "stopped")
    assert status(store, task_id) == FAILED


def test_stop_racing_the_dispatcher_start_ends_failed_and_never_running(rig):
    engine, store, service = rig()
    engine.start()
    for _round in range(15):
        ids = [add(store, s) for s in SERIALS]
        engine.wake()
        for task_id in ids:
            task = service.stop(task_id)
            assert (task["status"], task["remark"]) == (FAILED, "stopped"), task
        wait_for(lambda: engine.running() == {})
        for task_id in ids:
            assert status(store, task_id) == FAILED
    assert Gated.twice == [] and Gated.active == set()


def test_retry_all_while_tasks_finish_runs_each_once_per_retry(rig):
    engine, store, service = rig()
    ids = [add(store, s, "failing") for s in SERIALS for _ in range(4)]
    engine.start()
    for _ in range(30):
        service.retry_all()
    wait_for(lambda: engine.running() == {} and all(status(store, i) == FAILED for i in ids),
             timeout=20)
    assert Failing.twice == []
    for task_id in ids:      # every retry ran exactly once, nothing more
        assert Failing.runs[task_id] == store.tasks.get(task_id)["retry_count"] + 1
