"""The /task routes' success shapes and state rules (docs/API.md, Tasks), through the falcon app."""

from __future__ import annotations

from appliance.domain.tasks import COMPLETED, FAILED, RUNNING
from tests.fixtures import make_tasks

TASK_FIELDS = {"id", "serial", "username", "script_name", "script_config", "status", "source",
               "min_interval", "max_interval", "start_time", "created_at", "started_at",
               "finished_at", "remark", "retry_count",
               "schedule_id"}   # extension (issue 13): null unless a schedule made the task


def test_create_answers_ids_and_count_and_tasks_are_pending(client):
    result = client.simulate_post("/api/v1/task", json={
        "serials": ["A1", "B2", "A1"], "script_name": "account_warmup",
        "script_config": {"task_duration": 60}, "min_interval": 2, "max_interval": 9})
    assert result.status_code == 200
    assert result.json["code"] == 0 and result.json["message"] == "success"
    data = result.json["data"]
    assert data["created_count"] == 2 and len(data["task_ids"]) == 2  # duplicate serial once
    task = client.simulate_get(f"/api/v1/task/{data['task_ids'][0]}").json["data"]
    assert TASK_FIELDS | {"logs"} == set(task)
    assert task["serial"] == "A1" and task["status"] == 0 and task["source"] == "api"
    assert task["min_interval"] == 2 and task["max_interval"] == 9
    assert task["script_config"]["task_duration"] == 60
    assert task["remark"] == "" and task["retry_count"] == 0 and task["logs"] == []
    assert task["created_at"][-6] in "+-"  # ISO 8601 with offset


def test_defaults_of_intervals_and_config(client):
    [task_id] = make_tasks(client)
    task = client.simulate_get(f"/api/v1/task/{task_id}").json["data"]
    assert (task["min_interval"], task["max_interval"], task["start_time"]) == (1, 5, None)
    assert isinstance(task["script_config"], dict)


def test_start_time_is_kept(client):
    [task_id] = make_tasks(client, start_time="07:30")
    assert client.simulate_get(f"/api/v1/task/{task_id}").json["data"]["start_time"] == "07:30"


def test_list_newest_first_with_total_and_page(client):
    ids = make_tasks(client, 5)
    data = client.simulate_get("/api/v1/task", params={"page_size": 2}).json["data"]
    assert data["total"] == 5 and data["page"] == 1 and data["page_size"] == 2
    assert [t["id"] for t in data["tasks"]] == sorted(ids, reverse=True)[:2]
    assert set(data["tasks"][0]) == TASK_FIELDS  # list items carry no logs
    last = client.simulate_get("/api/v1/task", params={"page_size": 2, "page": 3}).json["data"]
    assert [t["id"] for t in last["tasks"]] == [min(ids)]
    beyond = client.simulate_get("/api/v1/task", params={"page_size": 2, "page": 9}).json["data"]
    assert beyond["tasks"] == [] and beyond["total"] == 5


def test_list_filters_alone_and_combined(services_client):
    client, services = services_client
    a = make_tasks(client, serials=["PHONE_A"])
    b = make_tasks(client, serials=["PHONE_B"])
    services.store.tasks.update(b[0], {"status": FAILED})
    services.store.tasks.update(a[0], {"source": "ui"})

    def ids(**params):
        data = client.simulate_get("/api/v1/task", params=params).json["data"]
        assert data["total"] == len(data["tasks"])
        return [t["id"] for t in data["tasks"]]

    assert ids(serial="PHONE_A") == a
    assert ids(status=3) == b
    assert ids(status=0) == a
    assert ids(source="ui") == a and ids(source="api") == b
    assert ids(script_name="account_warmup") == b + a
    assert ids(serial="PHONE_B", status=3) == b
    assert ids(serial="PHONE_A", status=3) == []
    assert ids(script_name="nope") == []


def test_page_size_over_100_is_clamped(client):
    data = client.simulate_get("/api/v1/task", params={"page_size": 101}).json
    assert data["code"] == 0 and data["data"]["page_size"] == 100


def test_pagination_edges_are_40001_naming_the_field(client):
    for params, field in (({"page": 0}, "page"), ({"page_size": 0}, "page_size"),
                          ({"page": "x"}, "page"), ({"page_size": "1.5"}, "page_size"),
                          ({"status": 7}, "status"), ({"status": "done"}, "status"),
                          ({"source": "web"}, "source")):
        result = client.simulate_get("/api/v1/task", params=params)
        assert result.status_code == 400 and result.json["code"] == 40001, params
        assert field in result.json["message"], result.json


def test_stats_count_every_state(services_client):
    client, services = services_client
    ids = make_tasks(client, 4)
    services.store.tasks.update(ids[1], {"status": RUNNING})
    services.store.tasks.update(ids[2], {"status": COMPLETED})
    services.store.tasks.update(ids[3], {"status": FAILED})
    stats = client.simulate_get("/api/v1/task/stats").json["data"]
    assert stats == {"total": 4, "pending": 1, "running": 1, "completed": 1, "failed": 1}


def test_stop_pending_fails_it_without_running(client):
    [task_id] = make_tasks(client)
    result = client.simulate_post(f"/api/v1/task/{task_id}/stop")
    assert result.json["code"] == 0
    task = result.json["data"]
    assert task["status"] == FAILED and task["remark"] == "stopped" and task["started_at"] is None
    assert task["finished_at"] is not None


def test_stop_running_without_engine_marks_it_failed(services_client):
    client, services = services_client
    [task_id] = make_tasks(client)
    services.store.tasks.update(task_id, {"status": RUNNING})
    task = client.simulate_post(f"/api/v1/task/{task_id}/stop").json["data"]
    assert task["status"] == FAILED and task["remark"] == "stopped"


def test_stop_of_finished_tasks_is_40001_naming_the_state(services_client):
    client, services = services_client
    ids = make_tasks(client, 2)
    services.store.tasks.update(ids[0], {"status": COMPLETED})
    services.store.tasks.update(ids[1], {"status": FAILED, "remark": "boom"})
    for task_id, state in zip(ids, ("completed", "failed"), strict=False):
        result = client.simulate_post(f"/api/v1/task/{task_id}/stop")
        assert result.status_code == 400 and result.json["code"] == 40001
        assert state in result.json["message"]
    assert client.simulate_get(f"/api/v1/task/{ids[1]}").json["data"]["remark"] == "boom"


def test_retry_takes_failed_back_to_pending_and_counts(services_client):
    client, services = services_client
    [task_id] = make_tasks(client)
    services.store.tasks.update(task_id, {"status": FAILED, "remark": "boom",
                                          "finished_at": "2026-01-01T00:00:00+00:00"})
    task = client.simulate_post(f"/api/v1/task/{task_id}/retry").json["data"]
    assert (task["status"], task["retry_count"], task["remark"]) == (0, 1, "")
    assert task["finished_at"] is None


def test_retry_of_other_states_is_40001(services_client):
    client, services = services_client
    ids = make_tasks(client, 3)
    services.store.tasks.update(ids[1], {"status": RUNNING})
    services.store.tasks.update(ids[2], {"status": COMPLETED})
    for task_id, state in zip(ids, ("pending", "running", "completed"), strict=False):
        result = client.simulate_post(f"/api/v1/task/{task_id}/retry")
        assert result.json["code"] == 40001 and state in result.json["message"]


def test_retry_all_retries_only_failed(services_client):
    client, services = services_client
    ids = make_tasks(client, 4)
    for task_id in ids[:2]:
        services.store.tasks.update(task_id, {"status": FAILED})
    services.store.tasks.update(ids[2], {"status": COMPLETED})
    data = client.simulate_post("/api/v1/task/retry-all").json["data"]
    assert sorted(data["task_ids"]) == sorted(ids[:2]) and data["retried_count"] == 2
    assert client.simulate_get("/api/v1/task/stats").json["data"]["failed"] == 0
    again = client.simulate_post("/api/v1/task/retry-all").json["data"]
    assert (again["task_ids"], again["retried_count"], again["skipped_count"]) == ([], 0, 0)


def test_delete_in_every_state(services_client):
    client, services = services_client
    ids = make_tasks(client, 4)
    for task_id, status in zip(ids[1:], (RUNNING, COMPLETED, FAILED), strict=False):
        services.store.tasks.update(task_id, {"status": status})
    for task_id in ids:
        result = client.simulate_delete(f"/api/v1/task/{task_id}")
        assert result.json == {"code": 0, "message": "success", "data": {"deleted_ids": [task_id]}}
        assert client.simulate_get(f"/api/v1/task/{task_id}").json["code"] == 40401
    assert client.simulate_get("/api/v1/task/stats").json["data"]["total"] == 0


def test_delete_batch_lists_unknown_ids(services_client):
    client, services = services_client
    ids = make_tasks(client, 3)
    services.store.tasks.update(ids[0], {"status": RUNNING})
    result = client.simulate_delete("/api/v1/task/batch", json={"task_ids": [ids[0], ids[1], 999]})
    assert result.json["data"] == {"deleted_ids": [ids[0], ids[1]], "not_found": [999]}
    remaining = client.simulate_get("/api/v1/task").json["data"]["tasks"]
    assert [t["id"] for t in remaining] == [ids[2]]


def test_ids_are_never_reused_after_delete(client):
    first = make_tasks(client, 2)
    client.simulate_delete("/api/v1/task/batch", json={"task_ids": first})
    [again] = make_tasks(client)
    assert again > max(first)


def test_license_check_on_pro(client):
    result = client.simulate_get("/api/v1/license/check")
    assert result.json["code"] == 0
    assert result.json["data"] == {"plan_name": "Pro", "api_enabled": True, "device_limit": 20,
                                   "message": result.json["data"]["message"]}


def test_healthz_is_outside_the_api(client):
    result = client.simulate_get("/healthz")
    assert result.status_code == 200 and result.json["status"] == "ok"
