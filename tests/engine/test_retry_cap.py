"""max_retry_count caps automatic and manual retries together (a manual retry past it is 40001
naming retry_count; retry-all skips and counts those tasks), and random_order starts a phone's
pending tasks in a shuffled order, each once."""

from __future__ import annotations

import random

import falcon.testing
import pytest

from appliance.api.app import create_app
from appliance.engine import Engine
from appliance.errors import InvalidParams
from appliance.services import build_services
from appliance.services.tasks import TaskService
from appliance.storage.store import Store
from tests.hubkit import LOCAL_HOST, hub_config

from .fakes import FakeClient, FakeTracker, config, now, registry, timekeeper, wait_for

FAILED, PENDING = 3, 0


@pytest.fixture
def api(tmp_path):
    """A TestClient over a hub with adb off (nothing runs) and max_retry_count 2."""
    services = build_services(hub_config(tmp_path, max_retry_count=2))
    yield falcon.testing.TestClient(create_app(services), headers=LOCAL_HOST), services
    services.close()


def failed_task(client, services, retry_count: int) -> int:
    answer = client.simulate_post("/api/v1/task", json={
        "serials": ["SER1"], "script_name": "account_warmup"}).json
    (task_id,) = answer["data"]["task_ids"]
    services.store.tasks.update(task_id, {"status": FAILED, "retry_count": retry_count,
                                          "remark": "boom"})
    return task_id


def test_manual_retry_past_the_cap_is_40001_naming_retry_count(api):
    client, services = api
    task_id = failed_task(client, services, 1)
    answer = client.simulate_post(f"/api/v1/task/{task_id}/retry").json
    assert answer["code"] == 0 and answer["data"]["retry_count"] == 2
    assert answer["data"]["status"] == PENDING
    services.store.tasks.update(task_id, {"status": FAILED, "remark": "boom"})   # failed again
    result = client.simulate_post(f"/api/v1/task/{task_id}/retry")
    assert (result.status_code, result.json["code"]) == (400, 40001)
    assert result.json["data"]["field"] == "retry_count"
    assert "max_retry_count" in result.json["message"] and "(2)" in result.json["message"]
    task = client.simulate_get(f"/api/v1/task/{task_id}").json["data"]
    assert (task["status"], task["retry_count"], task["remark"]) == (FAILED, 2, "boom")


def test_retry_all_skips_capped_tasks_and_says_how_many(api):
    client, services = api
    fresh = failed_task(client, services, 0)
    capped = [failed_task(client, services, 2), failed_task(client, services, 5)]
    data = client.simulate_post("/api/v1/task/retry-all").json["data"]
    assert (data["task_ids"], data["retried_count"]) == ([fresh], 1)
    assert (sorted(data["skipped_ids"]), data["skipped_count"]) == (capped, 2)
    assert data["max_retry_count"] == 2
    assert [services.store.tasks.get(i)["status"] for i in capped] == [FAILED, FAILED]


@pytest.mark.parametrize("value", [0, 11, "many"])
def test_max_retry_count_outside_1_to_10_is_refused_naming_it(tmp_path, value):
    from appliance.config import load_config
    from appliance.errors import ConfigError

    with pytest.raises(ConfigError, match="max_retry_count"):
        load_config(env={}, overrides={"max_retry_count": value})


@pytest.fixture
def rig(tmp_path):
    made = []
    keeper = timekeeper()

    def make(seed: int = 1, **overrides):
        cfg = config(**overrides)
        store = Store.open(tmp_path / f"state{len(made)}")
        client = FakeClient()
        engine = Engine(cfg, store, registry(), now, random.Random(seed), timer=keeper,
                        client=client, tracker=FakeTracker(["A", "B"]))
        made.append((engine, store))
        return engine, store, TaskService(cfg, store, now, registry=registry(), engine=engine), \
            client

    yield make
    for engine, store in made:
        engine.stop(timeout=1)
        store.close()
    keeper.stop()


def create(service, serial: str, script: str, count: int = 1) -> list[int]:
    ids = []
    for _ in range(count):
        ids += service.create({"serials": [serial], "script_name": script, "min_interval": 0,
                               "max_interval": 0})["task_ids"]
    return ids


def test_auto_retry_stops_at_the_cap_and_a_manual_retry_is_then_refused(rig):
    engine, store, service, _client = rig(auto_retry=True, max_retry_count=2,
                                          retry_delay_min=0, retry_delay_max=0.05)
    (task_id,) = create(service, "A", "crash")
    engine.start()
    wait_for(lambda: store.tasks.get(task_id)["status"] == FAILED
             and store.tasks.get(task_id)["retry_count"] == 2)
    with pytest.raises(InvalidParams) as refused:
        service.retry(task_id)
    assert refused.value.data["field"] == "retry_count"
    assert store.tasks.get(task_id)["status"] == FAILED
    assert service.retry_all()["skipped_ids"] == [task_id]


def run_order(client, serial: str) -> list[int]:
    """Task ids in the order their scripts ran on `serial` (Noop echoes its id twice)."""
    seen = [int(c.split()[1]) for s, c in client.calls if s == serial and c.startswith("echo ")]
    return list(dict.fromkeys(seen))


def test_random_order_shuffles_a_phones_queue_and_runs_each_task_once(rig):
    engine, store, service, client = rig(seed=7, random_order=True)
    ids = create(service, "A", "noop", 8)
    engine.start()
    wait_for(lambda: all(store.tasks.get(i)["status"] == 2 for i in ids))
    order = run_order(client, "A")
    assert order != ids and sorted(order) == ids
    assert all(len([c for s, c in client.calls if c == f"echo {i}"]) == 2 for i in ids)
    assert client.overlaps == []


def test_without_random_order_a_phones_tasks_run_oldest_first(rig):
    engine, store, service, client = rig(seed=7)
    ids = create(service, "A", "noop", 8)
    engine.start()
    wait_for(lambda: all(store.tasks.get(i)["status"] == 2 for i in ids))
    assert run_order(client, "A") == ids
