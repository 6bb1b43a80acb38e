"""The Local API's stop and delete against the engine starting the same tasks, on a real hub with
simulated phones: every answer comes once nothing runs for the task, phones are free after."""

from __future__ import annotations

from tests.fixtures import long_warmup, short_warmup, wait_for


def test_stop_right_after_create_races_the_start_and_answers_failed(phone_hub):
    hub = phone_hub(5)
    engine = hub.services.engine
    for _round in range(3):
        ids = hub.create(hub.serials, long_warmup())
        for task_id in ids:           # some still pending, some just started
            task = hub.ok("POST", f"/task/{task_id}/stop")
            assert (task["status"], task["remark"]) == (3, "stopped"), task
            assert task_id not in engine.running()
    wait_for(lambda: engine.running() == {}, 30, message="no run left")
    done = hub.create(hub.serials, short_warmup())
    for task_id in done:
        assert hub.wait_status(task_id, 2, 3)["status"] == 2


def test_batch_delete_of_running_tasks_frees_every_phone(phone_hub):
    hub = phone_hub(5)
    engine = hub.services.engine
    ids = hub.create(hub.serials, long_warmup())
    for task_id in ids:
        hub.wait_status(task_id, 1)
    queued = hub.create(hub.serials[:1], long_warmup())
    answer = hub.ok("DELETE", "/task/batch", {"task_ids": ids + queued + [ids[0], 10**6]})
    assert answer == {"deleted_ids": ids + queued, "not_found": [10**6]}
    assert engine.running() == {}
    for task_id in ids + queued:
        status, envelope = hub.call("GET", f"/task/{task_id}")
        assert (status, envelope["code"]) == (404, 40401)
    after = hub.create(hub.serials, short_warmup())
    for task_id in after:
        assert hub.wait_status(task_id, 2, 3)["status"] == 2
