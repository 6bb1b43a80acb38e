"""The dispatcher's rules, decided by tick(now) over a fake clock: no threads, no sleeps."""

import random
from datetime import UTC, datetime, timedelta

from appliance.domain.tasks import new_task
from appliance.engine.dispatcher import Dispatcher

T0 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


class FakeTasks:
    """The slice of TaskRepo the dispatcher reads."""

    def __init__(self):
        self.docs = {}

    def add(self, serial, min_interval=0, max_interval=0, start_time=None, now=T0, **extra):
        doc = new_task(serial=serial, script_name="account_warmup", script_config={},
                       source="api", min_interval=min_interval, max_interval=max_interval,
                       start_time=start_time, now=now)
        doc.update(extra, id=len(self.docs) + 1)
        self.docs[doc["id"]] = doc
        return doc["id"]

    def list(self, filters, offset, limit):
        page = [d for d in self.docs.values()
                if all(d.get(k) == v for k, v in filters.items())]
        page.sort(key=lambda d: -d["id"])
        return page[offset:offset + limit], len(page)

    def get(self, task_id):
        return dict(self.docs[task_id]) if task_id in self.docs else None

    def queues(self, serials=None):
        out = {}
        for task_id, doc in sorted(self.docs.items()):
            if doc["status"] == 0 and (serials is None or doc["serial"] in serials):
                out.setdefault(doc["serial"], []).append(task_id)
        return out


def make(limit=100, usable=lambda serial: True, seed=1):
    tasks = FakeTasks()
    return tasks, Dispatcher(tasks, usable, lambda: limit, random.Random(seed))


def run(tasks, disp, now):
    """One tick; start what it decides (as the engine does) and return the started ids."""
    ids = []
    for task in disp.tick(now).starts:
        tasks.docs[task["id"]]["status"] = 1
        disp.started(task["serial"], task["id"])
        ids.append(task["id"])
    return ids


def finish(tasks, disp, task_id, now):
    tasks.docs[task_id]["status"] = 2
    disp.ended(tasks.docs[task_id]["serial"], task_id, now)


def test_fifo_and_one_at_a_time_per_phone():
    tasks, disp = make()
    a1, b1, a2, a3 = (tasks.add(s) for s in ("A", "B", "A", "A"))
    assert run(tasks, disp, T0) == [a1, b1]
    assert run(tasks, disp, T0) == []          # both phones busy
    finish(tasks, disp, a1, T0)
    assert run(tasks, disp, T0) == [a2]
    finish(tasks, disp, a2, T0)
    assert run(tasks, disp, T0) == [a3]


def test_device_limit_caps_phones_running_at_once_oldest_first():
    tasks, disp = make(limit=2)
    ids = [tasks.add(s) for s in ("A", "B", "C", "D")]
    assert run(tasks, disp, T0) == ids[:2]
    finish(tasks, disp, ids[1], T0)
    assert run(tasks, disp, T0) == [ids[2]]


def test_idle_wait_drawn_from_range_since_previous_end():
    waits = []
    for seed in range(30):
        tasks, disp = make(seed=seed)
        first = tasks.add("A")
        second = tasks.add("A", min_interval=10, max_interval=20)
        assert run(tasks, disp, T0) == [first]
        end = T0 + timedelta(seconds=100)
        finish(tasks, disp, first, end)
        decision = disp.tick(end)
        assert decision.starts == []
        wait = (decision.next_due - end).total_seconds()
        assert 10 <= wait <= 20
        # The draw is kept: not yet at due - 1 ms, started at due.
        assert run(tasks, disp, decision.next_due - timedelta(milliseconds=1)) == []
        assert run(tasks, disp, decision.next_due) == [second]
        waits.append(wait)
    assert len({round(w, 3) for w in waits}) > 20   # really drawn, not a constant


def test_no_previous_task_means_no_wait():
    tasks, disp = make()
    first = tasks.add("A", min_interval=50, max_interval=60)
    assert run(tasks, disp, T0) == [first]


def test_start_time_waits_for_its_moment_without_blocking_later_tasks():
    tasks, disp = make()
    scheduled = tasks.add("A", start_time="12:30")
    later = tasks.add("A")
    decision = disp.tick(T0)
    assert [t["id"] for t in decision.starts] == [later]
    assert decision.next_due == T0.replace(minute=30)
    run(tasks, disp, T0)
    finish(tasks, disp, later, T0 + timedelta(minutes=1))
    assert run(tasks, disp, T0.replace(minute=29, second=59)) == []
    assert run(tasks, disp, T0.replace(minute=30)) == [scheduled]


def test_start_time_already_past_today_means_tomorrow():
    tasks, disp = make()
    task = tasks.add("A", start_time="11:00")
    assert disp.tick(T0).next_due == T0.replace(hour=11) + timedelta(days=1)
    assert run(tasks, disp, T0.replace(hour=11) + timedelta(days=1)) == [task]


def test_retry_delay_not_before():
    tasks, disp = make()
    due = T0 + timedelta(seconds=30)
    task = tasks.add("A", _not_before=due.isoformat())
    assert run(tasks, disp, T0) == []
    assert run(tasks, disp, due) == [task]


def test_offline_and_hot_phones_are_skipped_and_their_tasks_wait():
    usable = {"A": False, "B": True}
    tasks, disp = make(usable=lambda serial: usable[serial])
    a1, b1 = tasks.add("A"), tasks.add("B")
    assert run(tasks, disp, T0) == [b1]
    usable["A"] = True                           # back online / cooled down
    assert run(tasks, disp, T0) == [a1]


def test_unusable_phone_does_not_take_a_device_limit_slot():
    usable = {"A": False, "B": True}
    tasks, disp = make(limit=1, usable=lambda serial: usable[serial])
    tasks.add("A")
    b1 = tasks.add("B")
    assert run(tasks, disp, T0) == [b1]


def test_a_malformed_schedule_does_not_halt_dispatch():
    tasks, disp = make()
    bad = tasks.add("A", _not_before="not a time")
    good = tasks.add("B")
    assert run(tasks, disp, T0) == [bad, good]


def test_idle_wait_holds_across_a_restart_from_the_stored_end():
    tasks, _before = make()
    tasks.add("A", status=3, finished_at=(T0 - timedelta(seconds=5)).isoformat())
    tasks.add("B", status=2, finished_at=(T0 - timedelta(hours=1)).isoformat())
    waiting = tasks.add("A", min_interval=30, max_interval=30)
    other = tasks.add("B", min_interval=30, max_interval=30)
    disp = Dispatcher(tasks, lambda serial: True, lambda: 100, random.Random(1))  # restarted
    assert run(tasks, disp, T0) == [other]                          # B idle for an hour
    assert disp.tick(T0).next_due == T0 + timedelta(seconds=25)     # A: 30 s after it ended
    assert run(tasks, disp, T0 + timedelta(seconds=24)) == []
    assert run(tasks, disp, T0 + timedelta(seconds=25)) == [waiting]
