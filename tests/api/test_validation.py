"""Bad input gets a clear 400xx naming the field, and no task is created (all or nothing)."""

from __future__ import annotations

import pytest

GOOD = {"serials": ["A"], "script_name": "account_warmup"}


def total(client):
    return client.simulate_get("/api/v1/task/stats").json["data"]["total"]


@pytest.mark.parametrize("change,field", [
    ({"serials": "A"}, "serials"),
    ({"serials": []}, "serials"),
    ({"serials": [5]}, "serials[0]"),
    ({"serials": ["ok", "bad serial; rm -rf /"]}, "serials[1]"),
    ({"serials": ["nul\u0000byte"]}, "serials[0]"),
    ({"serials": ["телефон"]}, "serials[0]"),
    ({"serials": ["S"] * 10_000}, "serials"),
    ({"serials": ["x" * 65]}, "serials[0]"),
    ({"min_interval": -1}, "min_interval"),
    ({"min_interval": "1"}, "min_interval"),
    ({"max_interval": 86401}, "max_interval"),
    ({"min_interval": 1.5}, "min_interval"),
    ({"min_interval": 10, "max_interval": 5}, "min_interval"),
    ({"start_time": "25:00"}, "start_time"),
    ({"start_time": "7:30"}, "start_time"),
    ({"start_time": "12:60"}, "start_time"),
    ({"enable_multi_account": "yes"}, "enable_multi_account"),
    ({"script_config": []}, "script_config"),
    ({"script_config": {"task_duration": "long"}}, "script_config.task_duration"),
    ({"script_name": "x" * 65}, "script_name"),
    ({"usernames": ["u1"]}, "serials or usernames"),
])
def test_bad_create_is_40001_naming_the_field(client, change, field):
    result = client.simulate_post("/api/v1/task", json={**GOOD, **change})
    assert result.status_code == 400 and result.json["code"] == 40001, result.json
    assert field in result.json["message"], result.json["message"]
    assert total(client) == 0


def test_neither_serials_nor_usernames(client):
    result = client.simulate_post("/api/v1/task", json={"script_name": "account_warmup"})
    assert result.json["code"] == 40001 and "serials or usernames" in result.json["message"]


def test_body_must_be_an_object(client):
    for raw in (b"[1, 2]", b'"text"', b"null", b"", b"NaN", b"\xff\xfe"):
        result = client.simulate_post("/api/v1/task", body=raw,
                                      headers={"Content-Type": "application/json"})
        assert result.json["code"] == 40001, (raw, result.json)
    assert total(client) == 0


def test_megabyte_string_inside_the_limit_is_refused_by_its_field(client):
    result = client.simulate_post("/api/v1/task", json={**GOOD, "script_name": "s" * 900_000})
    assert result.json["code"] == 40001 and "script_name" in result.json["message"]
    assert "s" * 100 not in result.json["message"]  # the message does not echo the megabyte


def test_unicode_and_extra_fields_are_accepted(client):
    config = {"comment": "привет 👋 \"quoted\" $HOME; `id`", "unknown_key": [1, 2]}
    result = client.simulate_post("/api/v1/task", json={**GOOD, "script_config": config,
                                                        "client_version": "9.9"})
    assert result.json["code"] == 0
    [task_id] = result.json["data"]["task_ids"]
    stored = client.simulate_get(f"/api/v1/task/{task_id}").json["data"]["script_config"]
    assert stored["comment"] == config["comment"] and "unknown_key" not in stored
    assert result.json["data"]["ignored_fields"] == ["unknown_key"]


def test_usernames_mode_with_unknown_account_names_it(client):
    result = client.simulate_post("/api/v1/task", json={
        "usernames": ["ghost_user"], "script_name": "account_warmup"})
    assert result.json["code"] == 40001 and "ghost_user" in result.json["message"]


def test_batch_delete_validates_ids(client):
    for body in ({}, {"task_ids": []}, {"task_ids": ["1"]}, {"task_ids": [0]}, {"task_ids": 3}):
        result = client.simulate_delete("/api/v1/task/batch", json=body)
        assert result.json["code"] == 40001 and "task_ids" in result.json["message"], body
