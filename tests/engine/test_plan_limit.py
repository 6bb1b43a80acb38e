"""device_limit is read live from the plan: `appliance license set` on a running hub changes how
many phones run tasks at once, both ways, without a restart."""

from __future__ import annotations

from appliance.services.license import set_plan
from tests.fixtures import long_warmup, wait_for


def test_license_set_changes_how_many_phones_run_at_once(phone_hub):
    hub = phone_hub(6)
    engine = hub.services.engine
    set_plan(hub.handle.config.state_dir, "Starter")      # 5 phones; the API closes
    ticks = []
    real_tick = engine.dispatcher.tick
    engine.dispatcher.tick = lambda now: (ticks.append(now), real_tick(now))[1]
    created = hub.services.tasks.create({"serials": hub.serials, "script_name": "account_warmup",
                                         "script_config": long_warmup(), "min_interval": 0,
                                         "max_interval": 0}, source="ui")
    ids = created["task_ids"]
    wait_for(lambda: len(engine.running()) == 5, 30, message="five phones running")
    seen = len(ticks)
    wait_for(lambda: len(ticks) >= seen + 3, 10, message="three more dispatch passes")
    assert len(engine.running()) == 5
    waiting = [i for i in ids if i not in engine.running()]
    assert len(waiting) == 1 and hub.private(waiting[0])["status"] == 0

    set_plan(hub.handle.config.state_dir, "Pro")          # 20 phones: the sixth starts
    hub.wait_status(waiting[0], 1)
    assert len(engine.running()) == 6
    for task_id in ids:
        hub.ok("POST", f"/task/{task_id}/stop")
    wait_for(lambda: engine.running() == {}, 30, message="all stopped")
