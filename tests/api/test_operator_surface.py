"""The operator's surface (/ui/v1): the console's and admin CLI's routes, on every plan, under the
same access rule as the Local API; tasks made there have source "ui"."""

from __future__ import annotations

OUTSIDE = "198.51.100.7"
BODY = {"serials": ["A1"], "script_name": "account_warmup"}


def test_on_starter_the_local_api_is_closed_but_the_operator_keeps_control(make_client):
    client, _services = make_client(plan="Starter")
    refused = client.simulate_post("/api/v1/task", json=BODY)
    assert refused.status_code == 403 and refused.json["code"] == 40301
    made = client.simulate_post("/ui/v1/task", json=BODY)
    assert made.json["code"] == 0, made.json
    task_id = made.json["data"]["task_ids"][0]
    assert client.simulate_get(f"/ui/v1/task/{task_id}").json["data"]["source"] == "ui"
    assert client.simulate_post(f"/ui/v1/task/{task_id}/stop").json["code"] == 0
    assert client.simulate_post(f"/ui/v1/task/{task_id}/retry").json["code"] == 0
    assert client.simulate_get("/ui/v1/task/stats").json["data"]["total"] == 1
    # adb is off in these tests: the device routes answer that, not the plan's 40301
    assert client.simulate_get("/ui/v1/device").json["code"] == 50301
    assert client.simulate_get("/ui/v1/account").json["code"] == 0
    assert client.simulate_delete(f"/ui/v1/task/{task_id}").json["code"] == 0


def test_tasks_from_the_local_api_keep_source_api(client):
    made = client.simulate_post("/api/v1/task", json=BODY).json
    task_id = made["data"]["task_ids"][0]
    assert client.simulate_get(f"/api/v1/task/{task_id}").json["data"]["source"] == "api"


def test_the_operator_surface_follows_the_access_rule(make_client):
    client, services = make_client(plan="Starter")
    for method, path in (("GET", "/ui/v1/task"), ("POST", "/ui/v1/task"),
                         ("GET", "/ui/v1/device")):
        result = client.simulate_request(method, path, json=BODY, remote_addr=OUTSIDE)
        assert result.status_code == 401 and result.json["code"] == 40101, path
        result = client.simulate_request(method, path, json=BODY,
                                         headers={"Sec-Fetch-Site": "cross-site"})
        assert result.status_code == 401, path
    token = services.access._token.read()
    result = client.simulate_post("/ui/v1/task", json=BODY, remote_addr=OUTSIDE,
                                  headers={"Authorization": f"Bearer {token}"})
    assert result.json["code"] == 0
    assert services.tasks.stats()["total"] == 1
    # the operator's routes are not documented twice
    doc = make_client()[0].simulate_get("/api/v1/openapi.json").json
    assert not any(path.startswith("/ui/") for path in doc["paths"])
