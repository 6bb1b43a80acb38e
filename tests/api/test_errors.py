"""Every error code of docs/API.md (Error codes) comes back in the envelope, with a message that helps."""

from __future__ import annotations

import pytest

from tests.fixtures import make_tasks


def assert_envelope(result, status, code):
    assert result.status_code == status, result.text
    body = result.json
    assert set(body) == {"code", "message", "data"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"] and body["message"] != "success"
    assert "Traceback" not in result.text
    return body


def test_40001_bad_json(client):
    result = client.simulate_post("/api/v1/task", body=b'{"serials": [', headers={
        "Content-Type": "application/json"})
    body = assert_envelope(result, 400, 40001)
    assert "JSON" in body["message"]


def test_40002_script_name_missing_or_empty(client):
    for body in ({"serials": ["A"]}, {"serials": ["A"], "script_name": ""},
                 {"serials": ["A"], "script_name": "   "}, {"serials": ["A"], "script_name": 5}):
        assert_envelope(client.simulate_post("/api/v1/task", json=body), 400, 40002)


def test_40003_unsupported_script_lists_the_supported(client):
    body = assert_envelope(client.simulate_post(
        "/api/v1/task", json={"serials": ["A"], "script_name": "fly_to_moon"}), 400, 40003)
    assert "account_warmup" in body["message"]
    body = assert_envelope(client.simulate_post(
        "/api/v1/task", json={"serials": ["A"], "script_name": "super_marketing"}), 400, 40003)
    assert "not supported" in body["message"]


def test_40004_multi_account_without_accounts(client):
    body = assert_envelope(client.simulate_post("/api/v1/task", json={
        "serials": ["A"], "script_name": "account_warmup", "enable_multi_account": True}),
        400, 40004)
    assert "A" in body["message"]


def test_40101_from_outside_loopback_without_token(make_client):
    client, _ = make_client()
    result = client.simulate_get("/api/v1/task", remote_addr="203.0.113.9")
    assert_envelope(result, 401, 40101)


def test_40301_on_starter(make_client):
    client, _ = make_client(plan="Starter")
    assert_envelope(client.simulate_get("/api/v1/task"), 403, 40301)


def test_40401_unknown_task_and_unknown_route(client):
    body = assert_envelope(client.simulate_get("/api/v1/task/12345"), 404, 40401)
    assert "12345" in body["message"]
    assert_envelope(client.simulate_get("/api/v1/nothing/here"), 404, 40401)
    assert_envelope(client.simulate_get("/elsewhere"), 404, 40401)


def test_40501_wrong_method(client):
    body = assert_envelope(client.simulate_put("/api/v1/task"), 405, 40501)
    assert "GET" in body["message"] and "POST" in body["message"]
    assert_envelope(client.simulate_get("/api/v1/task/batch"), 405, 40501)
    assert_envelope(client.simulate_post("/api/v1/task/stats"), 405, 40501)


def test_41301_over_size_body(client):
    big = b'{"serials": ["A"], "script_name": "account_warmup", "x": "' + b"a" * (1 << 20) + b'"}'
    result = client.simulate_post("/api/v1/task", body=big,
                                  headers={"Content-Type": "application/json"})
    body = assert_envelope(result, 413, 41301)
    assert "1048576" in body["message"]
    assert client.simulate_get("/api/v1/task/stats").json["data"]["total"] == 0


def test_50001_forced_fault_hides_the_traceback(services_client, monkeypatch):
    client, services = services_client

    def explode():
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(services.store.tasks, "stats", explode)
    result = client.simulate_get("/api/v1/task/stats")
    body = assert_envelope(result, 500, 50001)
    assert "secret" not in result.text and "passwd" not in result.text
    assert body["data"] is None


@pytest.mark.parametrize("path,method", [
    ("/api/v1/task/1", "GET"), ("/api/v1/task/1", "DELETE"), ("/api/v1/task/1/stop", "POST"),
    ("/api/v1/task/1/retry", "POST")])
def test_unknown_id_on_each_item_route(client, path, method):
    assert_envelope(client.simulate_request(method, path), 404, 40401)


def test_non_integer_ids_are_40001(client):
    for path in ("/api/v1/task/abc", "/api/v1/task/-1", "/api/v1/task/0", "/api/v1/task/1.5"):
        assert_envelope(client.simulate_get(path), 400, 40001)


def test_stop_answers_with_the_task(client):
    [task_id] = make_tasks(client)
    assert client.simulate_post(f"/api/v1/task/{task_id}/stop").json["data"]["id"] == task_id
