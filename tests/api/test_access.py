"""Plans and tokens (docs/API.md, Plans and Access): who may call what, and what they are told."""

from __future__ import annotations

from appliance.services.license import set_plan
from appliance.services.statefiles import ensure_token, rotate_token

ROUTES = [("GET", "/api/v1/task"), ("POST", "/api/v1/task"), ("GET", "/api/v1/task/1"),
          ("DELETE", "/api/v1/task/1"), ("DELETE", "/api/v1/task/batch"),
          ("POST", "/api/v1/task/1/stop"), ("POST", "/api/v1/task/1/retry"),
          ("POST", "/api/v1/task/retry-all"), ("GET", "/api/v1/task/stats"),
          ("GET", "/api/v1/unknown")]
OUTSIDE = "198.51.100.7"


def test_starter_license_check_is_40301_with_the_plans_data(make_client):
    client, _ = make_client(plan="Starter")
    result = client.simulate_get("/api/v1/license/check")
    assert result.status_code == 403 and result.json["code"] == 40301
    data = result.json["data"]
    assert (data["plan_name"], data["api_enabled"], data["device_limit"]) == ("Starter", False, 5)


def test_starter_answers_40301_on_every_other_route(make_client):
    client, _ = make_client(plan="Starter")
    for method, path in ROUTES:
        result = client.simulate_request(method, path, json={"task_ids": [1]})
        assert result.json["code"] == 40301, (method, path, result.json)
        assert result.json["data"]["plan_name"] == "Starter"
    assert client.simulate_get("/healthz").status_code == 200
    assert client.simulate_get("/api/v1/openapi.json").status_code == 200


def test_plan_limits(make_client):
    for plan, limit in (("Team", 50), ("Business", 100)):
        client, _ = make_client(plan=plan)
        assert client.simulate_get("/api/v1/license/check").json["data"]["device_limit"] == limit


def test_plan_set_by_the_administrator_applies_without_restart(make_client):
    client, services = make_client()
    set_plan(services.config.state_dir, "Starter")
    assert client.simulate_get("/api/v1/task").json["code"] == 40301
    set_plan(services.config.state_dir, "team")
    assert client.simulate_get("/api/v1/license/check").json["data"]["plan_name"] == "Team"


def test_outside_loopback_needs_the_token(make_client):
    client, services = make_client()
    token = ensure_token(services.config.state_dir)
    for method, path in ROUTES:
        result = client.simulate_request(method, path, remote_addr=OUTSIDE)
        assert result.status_code == 401 and result.json["code"] == 40101, (method, path)
    wrong = client.simulate_get("/api/v1/task", remote_addr=OUTSIDE,
                                headers={"Authorization": "Bearer " + token[:-1] + "x"})
    assert wrong.json["code"] == 40101
    basic = client.simulate_get("/api/v1/task", remote_addr=OUTSIDE,
                                headers={"Authorization": "Basic " + token})
    assert basic.json["code"] == 40101
    good = client.simulate_get("/api/v1/task", remote_addr=OUTSIDE,
                               headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200 and good.json["code"] == 0


def test_forwarded_headers_do_not_make_a_caller_local(make_client):
    client, _ = make_client()
    result = client.simulate_get("/api/v1/task", remote_addr=OUTSIDE,
                                 headers={"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"})
    assert result.json["code"] == 40101


def test_rotated_token_applies_and_the_old_one_stops_working(make_client):
    client, services = make_client()
    old = ensure_token(services.config.state_dir)
    new = rotate_token(services.config.state_dir)
    auth = lambda t: {"Authorization": f"Bearer {t}"}
    assert client.simulate_get("/api/v1/task", remote_addr=OUTSIDE, headers=auth(old)).json["code"] == 40101
    assert client.simulate_get("/api/v1/task", remote_addr=OUTSIDE, headers=auth(new)).json["code"] == 0


def test_token_file_is_private(make_client):
    _, services = make_client()
    path = services.config.state_dir / "api-token"
    assert path.stat().st_mode & 0o777 == 0o600


def test_trusted_networks_need_no_token(make_client):
    client, _ = make_client(trusted_networks=["198.51.100.0/24"])
    assert client.simulate_get("/api/v1/task", remote_addr=OUTSIDE).json["code"] == 0
    assert client.simulate_get("/api/v1/task", remote_addr="203.0.113.1").json["code"] == 40101


def test_openapi_is_open_from_loopback_on_every_plan(make_client):
    client, _ = make_client(plan="Starter")
    assert client.simulate_get("/api/v1/openapi.json").json["openapi"].startswith("3.")
