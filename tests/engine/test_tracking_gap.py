"""A moment without device tracking (the tracker re-syncing: every phone "unknown") does not fail
the tasks running on a real hub; their phones never left."""

from __future__ import annotations

from tests.fixtures import long_warmup, wait_for


def test_running_tasks_outlive_a_tracking_resync(phone_hub):
    hub = phone_hub(2)
    engine, tracker = hub.services.engine, hub.services.engine.tracker
    ids = hub.create(hub.serials, long_warmup())
    for task_id in ids:
        hub.wait_status(task_id, 1)
    syncs = tracker.syncs
    tracker.mark_unknown()                    # what a broken tracking connection does first
    wait_for(lambda: tracker.syncs > syncs and all(tracker.usable(s) for s in hub.serials), 30,
             message="the tracker re-synced")
    passes = []
    real_tick = engine.dispatcher.tick
    engine.dispatcher.tick = lambda now: (passes.append(now), real_tick(now))[1]
    wait_for(lambda: len(passes) >= 2, 10, message="two engine passes")
    for task_id in ids:
        assert hub.task(task_id)["status"] == 1
        hub.ok("POST", f"/task/{task_id}/stop")
