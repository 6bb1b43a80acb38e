"""A task's log is bounded by config `log_lines_per_task` (oldest dropped) and shown by
GET /task/{id}: through the engine's worker and the real store to TaskService.get."""

from __future__ import annotations

import random

from appliance.domain.tasks import new_task
from appliance.engine import Engine
from appliance.scripts import Script
from appliance.services.tasks import TaskService
from appliance.storage import Store

from .fakes import FakeClient, FakeTracker, config, now, registry, timekeeper, wait_for


class Chatty(Script):
    name = "chatty"

    def run(self, ctx):
        for i in range(25):
            ctx.log(f"line {i}")
        raise RuntimeError("too chatty")


def test_logs_keep_the_last_lines_up_to_the_limit(tmp_path):
    reg = registry()
    reg.register(Chatty())
    cfg = config(log_lines_per_task=10)
    store = Store.open(tmp_path / "state")
    keeper = timekeeper()
    engine = Engine(cfg, store, reg, now, random.Random(1), timer=keeper,
                    client=FakeClient(), tracker=FakeTracker(["A"]))
    service = TaskService(cfg, store, now, registry=reg, engine=engine)
    try:
        doc = new_task(serial="A", script_name="chatty", script_config={}, source="api",
                       min_interval=0, max_interval=0, start_time=None, now=now())
        task_id = store.tasks.create_many([doc])[0]["id"]
        engine.start()
        task = wait_for(lambda: (lambda t: t if t["status"] == 3 else None)(service.get(task_id)))
        messages = [line["message"] for line in task["logs"]]
        assert messages == [f"line {i}" for i in range(16, 25)] + [f"failed: {task['remark']}"]
        assert set(task["logs"][0]) == {"ts", "level", "message"}
    finally:
        engine.stop(timeout=1)
        keeper.stop()
        store.close()
