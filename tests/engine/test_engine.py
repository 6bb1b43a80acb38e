"""The engine's threads over in-memory fakes: runs, stops, crashes, abandonment, lost phones,
restart recovery, shutdown and auto-retry. The real-phone versions are in test_end_to_end.py."""

import random

import pytest

from appliance.engine import Engine

from .fakes import FakeClient, FakeStore, FakeTracker, Stubborn, config, now, registry, timekeeper, wait_for

SERIALS = ["A", "B", "C"]


@pytest.fixture
def hub():
    made = []
    keeper = timekeeper()

    def make(**overrides):
        store, tracker, client = FakeStore(), FakeTracker(SERIALS), FakeClient()
        engine = Engine(config(**overrides), store, registry(), now, random.Random(1),
                        timer=keeper, client=client, tracker=tracker)
        made.append(engine)
        return engine, store, tracker, client

    yield make
    for engine in made:
        engine.stop(timeout=1)
    keeper.stop()


def done(store, task_id):
    return store.tasks.get(task_id)["status"] in (2, 3)


def test_tasks_run_per_phone_in_creation_order(hub):
    engine, store, _tracker, client = hub()
    ids = [store.add(s) for s in ("A", "B", "A", "C", "A")]
    engine.start()
    wait_for(lambda: all(done(store, i) for i in ids))
    for task_id in ids:
        task = store.tasks.get(task_id)
        assert (task["status"], task["remark"]) == (2, "done")
        assert [line["message"] for line in store.tasks.logs(task_id)] == ["said hi"]
    assert client.overlaps == []
    on_a = [int(c.split()[1]) for s, c in client.calls if s == "A"]
    assert on_a == [ids[0], ids[0], ids[2], ids[2], ids[4], ids[4]]


def test_wake_starts_new_work_at_once(hub):
    engine, store, _tracker, _client = hub()
    engine.start()
    task_id = store.add("A")
    engine.wake()
    wait_for(lambda: done(store, task_id), timeout=5)


def test_stop_of_a_blocked_adb_call_fails_stopped_and_frees_the_phone(hub):
    engine, store, _tracker, _client = hub()
    blocked, following = store.add("A", "block"), store.add("A")
    engine.start()
    wait_for(lambda: store.status(blocked) == 1)
    assert engine.stop_task(blocked) is True
    task = store.tasks.get(blocked)
    assert (task["status"], task["remark"]) == (3, "stopped")
    wait_for(lambda: done(store, following))
    assert engine.stop_task(blocked) is False      # no longer the engine's


def test_cooperative_sleep_is_cut_short_by_stop(hub):
    engine, store, _tracker, _client = hub()
    task_id = store.add("A", "sleepy")
    engine.start()
    wait_for(lambda: store.status(task_id) == 1)
    assert engine.stop_task(task_id, "deleted")
    assert store.tasks.get(task_id)["remark"] == "deleted"


def test_a_crashing_script_fails_its_task_and_the_hub_goes_on(hub):
    engine, store, _tracker, _client = hub()
    crash, after = store.add("A", "crash"), store.add("A")
    engine.start()
    wait_for(lambda: done(store, after))
    task = store.tasks.get(crash)
    assert task["status"] == 3
    assert "ZeroDivisionError" in task["remark"] and "crash" in task["remark"]
    assert store.tasks.get(after)["status"] == 2


def test_unknown_script_fails_with_the_40003_sentence(hub):
    engine, store, _tracker, _client = hub()
    task_id = store.add("A", "vanished")
    engine.start()
    wait_for(lambda: done(store, task_id))
    assert "vanished" in store.tasks.get(task_id)["remark"]


def test_a_script_ignoring_stop_is_abandoned_and_its_phone_quarantined(hub):
    engine, store, tracker, _client = hub(stop_grace=0.2)
    stuck, waiting = store.add("A", "stubborn"), store.add("A")
    other = store.add("B")
    Stubborn.release.clear()
    engine.start()
    wait_for(lambda: store.status(stuck) == 1)
    assert engine.stop_task(stuck) is True
    assert store.tasks.get(stuck)["status"] == 3
    assert "A" in tracker.quarantined
    wait_for(lambda: done(store, other))
    Stubborn.release.set()                 # the stuck thread ends late: its outcome is discarded
    assert store.tasks.get(stuck)["remark"] == "stopped"
    assert store.status(waiting) == 0      # no new task on a quarantined phone
    tracker.set_state("A", "offline")
    tracker.set_state("A", "device")       # reconnected
    wait_for(lambda: done(store, waiting))


def test_phone_lost_mid_task_fails_it_naming_the_phone_others_unaffected(hub):
    engine, store, tracker, _client = hub()
    lost, queued = store.add("A", "block"), store.add("A")
    other = store.add("B")
    engine.start()
    wait_for(lambda: store.status(lost) == 1)
    tracker.set_state("A", "offline")
    wait_for(lambda: done(store, lost))
    task = store.tasks.get(lost)
    assert task["status"] == 3 and "A" in task["remark"]
    wait_for(lambda: done(store, other))
    assert store.status(queued) == 0       # waits for its phone
    tracker.set_state("A", "device")
    wait_for(lambda: done(store, queued))


def test_adb_error_names_the_phone(hub):
    engine, store, _tracker, client = hub()
    client.lost.add("C")
    task_id = store.add("C")
    engine.start()
    wait_for(lambda: done(store, task_id))
    assert "phone C" in store.tasks.get(task_id)["remark"]


def test_restart_fails_tasks_left_running_and_runs_pending_once(hub):
    engine, store, _tracker, client = hub()
    left = store.add("A", status=1, started_at="2026-11-28T11:00:00+00:00", _run="old")
    pending = store.add("A")
    engine.start()
    wait_for(lambda: done(store, pending))
    task = store.tasks.get(left)
    assert (task["status"], task["remark"]) == (3, "interrupted by restart")
    assert len(client.calls) == 2   # the pending task's two calls, the old one not rerun


def test_graceful_stop_fails_running_tasks_interrupted_by_shutdown(hub):
    engine, store, _tracker, _client = hub()
    ids = [store.add("A", "block"), store.add("B", "sleepy")]
    queued = store.add("A")
    engine.start()
    wait_for(lambda: all(store.status(i) == 1 for i in ids))
    engine.stop()
    for task_id in ids:
        assert store.tasks.get(task_id)["remark"] == "interrupted by shutdown"
    assert store.status(queued) == 0


def test_auto_retry_requeues_with_delay_until_max_retry_count(hub):
    engine, store, _tracker, _client = hub(auto_retry=True, max_retry_count=2,
                                           retry_delay_min=0, retry_delay_max=0.05)
    task_id = store.add("A", "crash")
    engine.start()
    wait_for(lambda: store.tasks.get(task_id)["retry_count"] == 2 and done(store, task_id))
    task = store.tasks.get(task_id)
    assert task["status"] == 3 and "ZeroDivisionError" in task["remark"]


def test_stopped_tasks_are_not_auto_retried(hub):
    engine, store, _tracker, _client = hub(auto_retry=True, retry_delay_min=0, retry_delay_max=0)
    task_id = store.add("A", "block")
    engine.start()
    wait_for(lambda: store.status(task_id) == 1)
    engine.stop_task(task_id)
    task = store.tasks.get(task_id)
    assert (task["status"], task["retry_count"]) == (3, 0)


def test_device_limit_holds_phones_running_at_once(hub):
    engine, store, _tracker, _client = hub()
    engine.dispatcher._device_limit = lambda: 1
    ids = [store.add("A", "sleepy"), store.add("B", "sleepy")]
    engine.start()
    wait_for(lambda: store.status(ids[0]) == 1)
    assert store.status(ids[1]) == 0
    engine.stop_task(ids[0])
    wait_for(lambda: store.status(ids[1]) == 1)


def test_a_failed_ui_step_names_the_step_and_keeps_the_screen(hub):
    from appliance.scripts import Script
    from appliance.scripts.ui import UiStepFailed

    class Lost(Script):
        name = "lost"

        def run(self, ctx):
            raise UiStepFailed("post the comment", "comment_post did not appear within 1 s",
                               dump="<hierarchy/>", screen="feed_root, like_button")

    engine, store, _tracker, _client = hub()
    engine.registry.register(Lost())
    task_id = store.add("A", "lost")
    engine.start()
    wait_for(lambda: done(store, task_id))
    task = store.tasks.get(task_id)
    assert "step 'post the comment' failed" in task["remark"]
    assert "like_button" in task["remark"]
    assert store.tasks.logs(task_id)[-1]["level"] == "error"


def test_tracking_lost_for_a_moment_does_not_fail_running_tasks(hub, monkeypatch):
    import appliance.engine

    monkeypatch.setattr(appliance.engine, "SUPERVISE_EVERY", 0.05)  # the same passes, sooner
    engine, store, tracker, _client = hub()
    task_id = store.add("A", "sleepy")
    engine.start()
    wait_for(lambda: store.status(task_id) == 1)
    passes = []
    real_tick = engine.dispatcher.tick
    engine.dispatcher.tick = lambda now: (passes.append(now), real_tick(now))[1]
    tracker.set_state("A", "unknown")      # tracking broke: every phone "unknown" until re-sync
    wait_for(lambda: len(passes) >= 3)     # the loop has supervised the run a few times
    assert store.status(task_id) == 1
    tracker.set_state("A", "device")
    tracker.set_state("A", "absent")       # really gone: fails, saying so
    wait_for(lambda: store.status(task_id) == 3)
    assert store.tasks.get(task_id)["remark"] == "phone A went absent during the task"


def test_an_abandoned_script_writes_no_more_log_lines(hub):
    import threading

    from appliance.scripts import Script

    class LateTalker(Script):
        name = "late_talker"
        release = threading.Event()
        said = threading.Event()

        def run(self, ctx):
            LateTalker.release.wait(30)       # ignores the stop
            ctx.log("still here")
            LateTalker.said.set()

    engine, store, _tracker, _client = hub(stop_grace=0.2)
    engine.registry.register(LateTalker())
    task_id = store.add("A", "late_talker")
    engine.start()
    wait_for(lambda: store.status(task_id) == 1)
    engine.stop_task(task_id)                 # abandoned after stop_grace
    assert store.status(task_id) == 3
    LateTalker.release.set()
    wait_for(LateTalker.said.is_set)
    wait_for(lambda: engine.running() == {})
    assert "still here" not in [line["message"] for line in store.tasks.logs(task_id)]
