"""POST /task answers the serials the hub has never seen (`data.unknown_serials`) and still creates
their tasks. With adb disabled the hub sees no phone, so it answers from the serials it saw while
adb was on, and its tasks carry no "plug the phone in" advice."""

from __future__ import annotations

from appliance.devices.seen import SeenPhones


def create(client, **body) -> dict:
    result = client.simulate_post("/api/v1/task", json={"script_name": "account_warmup", **body})
    assert result.json["code"] == 0, result.json
    return result.json["data"]


def test_unknown_serials_are_listed_once_in_request_order_and_still_created(services_client):
    client, services = services_client
    data = create(client, serials=["B2", "A1", "B2"])
    assert data["unknown_serials"] == ["B2", "A1"] and data["created_count"] == 2
    for task_id in data["task_ids"]:
        assert client.simulate_get(f"/api/v1/task/{task_id}").json["data"]["remark"] == ""

    SeenPhones(services.store).record(["A1"])    # what the devices layer writes on first sight
    assert create(client, serials=["A1", "C3"])["unknown_serials"] == ["C3"]
    assert create(client, serials=["A1"])["unknown_serials"] == []


def test_serials_reached_through_accounts_are_checked_too(services_client):
    client, services = services_client
    SeenPhones(services.store).record(["KNOWN1"])
    for username, serial in (("shop_one", "KNOWN1"), ("shop_two", "NEW2")):
        result = client.simulate_post("/api/v1/account", json={"username": username,
                                                               "device": serial})
        assert result.json["code"] == 0, result.json
    assert create(client, usernames=["shop_one", "shop_two"])["unknown_serials"] == ["NEW2"]


def test_the_answer_and_the_device_states_are_in_the_openapi_document(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    schema = doc["paths"]["/task"]["post"]["responses"]["200"]["content"]["application/json"]
    created = schema["schema"]["properties"]["data"]["properties"]
    assert created["unknown_serials"]["type"] == "array" and "task_ids" in created
    device = (doc["paths"]["/device/{serial}"]["get"]["responses"]["200"]["content"]
              ["application/json"]["schema"]["properties"]["data"]["properties"])
    assert "stalled" in device["state"]["enum"] and "unauthorized" in device["state"]["enum"]
    assert {"stalled_since", "held", "usable", "unusable_reason", "quarantined", "hot"} \
        <= set(device)
    assert set(device["held"]["properties"]) == {"reason", "until"}
