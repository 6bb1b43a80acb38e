"""The /schedule routes (issue 13) through the falcon app: shapes, the 40001 that names the field,
and a firing (POST /schedule/{id}/run) making tasks with source "schedule" and the schedule's id.
The services are not started here: next run times come from the trigger and the hub's clock."""

from __future__ import annotations

import pytest

from tests.fixtures import make_tasks

BODY = {"name": "morning posts", "times": ["08:00"], "targets": {"serials": ["SER1", "SER2"]},
        "script_name": "account_warmup"}


def ok(result) -> dict:
    assert result.status_code == 200 and result.json["code"] == 0, result.json
    return result.json["data"]


def create(client, **changes) -> dict:
    return ok(client.simulate_post("/api/v1/schedule", json={**BODY, **changes}))


def test_create_answers_the_schedule_normalised_with_its_next_runs_in_the_hub_zone(make_client):
    client, _services = make_client(timezone="Europe/Paris")
    schedule = create(client, times=["21:30", "08:00", "08:00"], weekdays=["sun", 0, "mon"])
    assert schedule["weekdays"] == ["mon", "sun"] and schedule["times"] == ["08:00", "21:30"]
    assert schedule["enabled"] is True and schedule["timezone"] == "Europe/Paris"
    assert (schedule["last_run_at"], schedule["last_error"]) == (None, None)
    runs = schedule["next_run_times"]
    assert len(runs) == 3 and runs == sorted(runs)
    assert all(run[11:16] in ("08:00", "21:30") and run[-6:] in ("+01:00", "+02:00")
               for run in runs)
    assert ok(client.simulate_get(f"/api/v1/schedule/{schedule['id']}")) == schedule
    listing = ok(client.simulate_get("/api/v1/schedule"))
    assert listing == {"schedules": [schedule], "total": 1}


@pytest.mark.parametrize("changes,field", [
    ({"times": ["25:00"]}, "times[0]"),
    ({"times": ["8:00"]}, "times[0]"),
    ({"times": []}, "times"),
    ({"times": [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 20, 40)]}, "times"),
    ({"weekdays": ["funday"]}, "weekdays[0]"),
    ({"weekdays": [7]}, "weekdays[0]"),
    ({"script_name": "no_such_script"}, "script_name"),
    ({"script_config": {"task_duration": "long"}}, "script_config.task_duration"),
    ({"targets": {}}, "targets"),
    ({"targets": {"serials": ["A"], "groups": ["G"]}}, "targets"),
    ({"targets": {"serials": []}}, "targets.serials"),
    ({"targets": {"groups": ["no such group"]}}, "targets.groups"),
    ({"targets": {"usernames": ["nobody"]}}, "targets.usernames"),
    ({"name": "   "}, "name"),
    ({"name": None}, "name"),
])
def test_a_bad_field_is_40001_naming_it_and_nothing_is_stored(client, changes, field):
    result = client.simulate_post("/api/v1/schedule", json={**BODY, **changes})
    assert result.json["code"] == 40001, result.json
    assert result.json["data"]["field"] == field, result.json
    assert ok(client.simulate_get("/api/v1/schedule"))["total"] == 0


def test_a_missing_field_is_40001_naming_it(client):
    for missing in ("name", "times", "targets", "script_name"):
        body = {k: v for k, v in BODY.items() if k != missing}
        answer = client.simulate_post("/api/v1/schedule", json=body).json
        assert (answer["code"], answer["data"]["field"]) == (40001, missing)


def test_run_fires_now_making_tasks_with_source_schedule_and_its_id(client):
    schedule = create(client)
    other = make_tasks(client, serials=["SER9"])[0]
    fired = ok(client.simulate_post(f"/api/v1/schedule/{schedule['id']}/run"))
    assert fired["created_count"] == 2
    listing = ok(client.simulate_get("/api/v1/task", params={"source": "schedule"}))
    assert {t["id"] for t in listing["tasks"]} == set(fired["task_ids"])
    assert {(t["serial"], t["schedule_id"]) for t in listing["tasks"]} == \
        {("SER1", schedule["id"]), ("SER2", schedule["id"])}
    assert ok(client.simulate_get(f"/api/v1/task/{other}"))["schedule_id"] is None
    after = ok(client.simulate_get(f"/api/v1/schedule/{schedule['id']}"))
    assert after["last_run_at"] is not None
    assert (after["last_error"], after["last_task_count"]) == (None, 2)


def test_a_group_target_resolves_at_each_firing_and_an_empty_one_is_recorded(client):
    ok(client.simulate_post("/api/v1/group", json={"name": "Night", "serials": ["N1", "N2"]}))
    schedule = create(client, targets={"groups": ["night"]})
    assert ok(client.simulate_post(f"/api/v1/schedule/{schedule['id']}/run"))["created_count"] == 2
    group = ok(client.simulate_get("/api/v1/group"))["groups"][0]
    ok(client.simulate_patch(f"/api/v1/group/{group['id']}", json={"serials": []}))
    failed = client.simulate_post(f"/api/v1/schedule/{schedule['id']}/run").json
    assert failed["code"] == 40001
    after = ok(client.simulate_get(f"/api/v1/schedule/{schedule['id']}"))
    assert "no phones" in after["last_error"] and after["last_task_count"] == 0


def test_a_disabled_schedule_shows_no_next_run_and_refuses_to_run(client):
    schedule = create(client)
    changed = ok(client.simulate_patch(f"/api/v1/schedule/{schedule['id']}",
                                       json={"enabled": False}))
    assert changed["enabled"] is False and changed["next_run_times"] == []
    answer = client.simulate_post(f"/api/v1/schedule/{schedule['id']}/run").json
    assert (answer["code"], answer["data"]["field"]) == (40001, "enabled")
    assert ok(client.simulate_get("/api/v1/task"))["total"] == 0


def test_patch_replaces_the_given_fields_and_checks_them(client):
    schedule = create(client)
    url = f"/api/v1/schedule/{schedule['id']}"
    changed = ok(client.simulate_patch(url, json={"times": ["23:59"], "name": "late",
                                                  "unknown_field": 1}))
    assert (changed["times"], changed["name"], changed["targets"]) == \
        (["23:59"], "late", BODY["targets"])
    answer = client.simulate_patch(url, json={"times": ["24:00"]}).json
    assert (answer["code"], answer["data"]["field"]) == (40001, "times[0]")
    assert ok(client.simulate_get(url))["times"] == ["23:59"]
    empty = client.simulate_patch(url, json={}).json     # as groups and accounts answer
    assert empty["code"] == 40001 and "changes nothing" in empty["message"]


def test_delete_then_the_schedule_is_gone(client):
    schedule = create(client)
    url = f"/api/v1/schedule/{schedule['id']}"
    assert ok(client.simulate_delete(url)) == {"deleted_ids": [schedule["id"]]}
    for answer in (client.simulate_get(url).json, client.simulate_delete(url).json,
                   client.simulate_post(url + "/run").json):
        assert answer["code"] == 40401


def test_the_operator_surface_serves_schedules_too(client):
    schedule = create(client)
    answer = client.simulate_get(f"/ui/v1/schedule/{schedule['id']}").json
    assert answer["code"] == 0 and answer["data"]["name"] == BODY["name"]
