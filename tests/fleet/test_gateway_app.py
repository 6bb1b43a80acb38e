"""The gateway's falcon app in process, over fake hubs: the hub's gates (40101 without the token
off the hub's names), the envelope, the OpenAPI document, the client's Idempotency-Key carried
to the hubs' keys, and the routes only a hub serves."""

from __future__ import annotations

from datetime import UTC, datetime

import falcon.testing
import pytest

from appliance.api.gateway import create_gateway_app
from appliance.config import load_config
from appliance.scripts import default_registry
from appliance.services.access import AccessService
from appliance.services.fleet_view import FleetView
from appliance.services.gateway import (
    FleetAccounts,
    FleetDevices,
    FleetEvents,
    FleetLicense,
    FleetTasks,
    Gateway,
)
from appliance.services.license import LicenseService
from appliance.services.quotas import Quotas
from tests.fleet.test_gateway_units import FakeHub, FakeLink, online

LOCAL = {"Host": "localhost:50809"}


@pytest.fixture
def app(tmp_path):
    config = load_config(env={}, overrides={"state_dir": str(tmp_path / "gw"), "plan": "Team",
                                            "fleet_broker": "mqtt://127.0.0.1:1"})
    config.state_dir.mkdir(parents=True)
    view = FleetView(30.0)
    hubs = {n: FakeHub(n) for n in (1, 2)}
    for n in hubs:
        online(view, n, [f"S{n}"])
    link = FakeLink(hubs)
    license = LicenseService(config)
    quotas = Quotas(config.state_dir, view, lambda: 50, lambda n, m: True)
    registry = default_registry(config)
    tasks = FleetTasks(config, view, link, "gw1", registry)
    gateway = Gateway(config=config, clock=lambda: datetime.now(UTC), view=view, link=link,
                      gateway_id="gw1", tasks=tasks, devices=FleetDevices(view),
                      accounts=FleetAccounts(view), license=FleetLicense(license, quotas),
                      access=AccessService(config), events=FleetEvents(config), quotas=quotas,
                      registry=registry)
    client = falcon.testing.TestClient(create_gateway_app(gateway))
    client.link = link   # the tests that cut the broker reach it here
    yield client, hubs, (config.state_dir / "api-token").read_text().strip()
    tasks.close()


def test_the_hubs_gates_and_envelope(app):
    client, _, token = app
    refused = client.simulate_get("/api/v1/task")          # Host: falconframework.org
    assert refused.status_code == 401 and refused.json["code"] == 40101
    allowed = client.simulate_get("/api/v1/task", headers={"Authorization": f"Bearer {token}"})
    assert allowed.json["code"] == 0 and allowed.json["data"]["total"] == 0
    paths = client.simulate_get("/api/v1/openapi.json", headers=LOCAL).json["paths"]
    assert {"/task", "/task/{task_id}", "/fleet", "/license/check"} <= set(paths)
    missing = client.simulate_get("/api/v1/nothing", headers=LOCAL)
    assert missing.json["code"] == 40401


def test_idempotency_key_reaches_each_hub_as_its_own_stable_key(app):
    client, hubs, _ = app
    body = {"script_name": "follow", "serials": ["S1", "S2"],
            "script_config": {"target_users": ["someone"]}}
    headers = {**LOCAL, "Idempotency-Key": "client-key-1"}
    for _ in range(2):
        assert client.simulate_post("/api/v1/task", json=body, headers=headers).json["code"] == 0
    keys = {n: [r["key"] for r in h.requests if r["op"] == "create"] for n, h in hubs.items()}
    assert keys[1][0] == keys[1][1] and keys[2][0] == keys[2][1] and keys[1][0] != keys[2][0]
    client.simulate_post("/api/v1/task", json=body, headers=LOCAL)   # no header: a fresh key
    assert hubs[1].requests[-1]["key"] not in keys[1]


def test_what_only_a_hub_serves_names_the_hubs(app):
    client, _, _ = app
    for method, path in [("GET", "/api/v1/group"), ("POST", "/ui/v1/schedule"),
                         ("GET", "/api/v1/material/3"), ("POST", "/api/v1/device/S2/shell"),
                         ("POST", "/api/v1/account")]:
        body = {"command": "id", "username": "u"} if path.endswith(("shell", "account")) else {}
        answer = client.simulate_request(method, path, headers=LOCAL, json=body).json
        assert answer["code"] == 40401, (path, answer)
        assert "http://h" in answer["message"], answer
    assert "http://h2/api/v1" in client.simulate_get(
        "/api/v1/device/S2/screenshot", headers=LOCAL).json["message"]


def test_the_console_is_served_over_the_fleet(app):
    client, _, _ = app
    page = client.simulate_get("/", headers=LOCAL)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    overview = client.simulate_get("/ui/overview", headers=LOCAL).json["data"]
    assert {d["serial"] for d in overview["devices"]} == {"S1", "S2"}
    assert overview["license"]["plan_name"] == "Team"
    stats = client.simulate_get("/ui/v1/task/stats", headers=LOCAL).json["data"]
    assert stats["broker_connected"] and stats["hubs"] == 2


def test_healthz_says_degraded_while_the_broker_is_unreachable(app):
    client, _, _ = app
    health = client.simulate_get("/healthz", headers=LOCAL).json
    assert health["status"] == "ok" and health["broker"] is True and health["role"] == "gateway"
    client.link.connected = False
    health = client.simulate_get("/healthz", headers=LOCAL).json
    assert health["status"] == "degraded" and health["broker"] is False
