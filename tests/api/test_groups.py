"""Device groups (issue 13) on the real app and store: /group CRUD with names unique ignoring
case, inputs refused naming their field, `groups` in POST /task (the union with serials, each
phone once), the `group` filter of GET /task and GET /device, and groups surviving a restart."""

from __future__ import annotations

import threading

from appliance.domain.tasks import RUNNING
from appliance.errors import InvalidParams
from tests.fixtures import free_port, make_tasks, wait_for
from tests.hubkit import hub_config, running_hub

GROUP = "/api/v1/group"


def ok(result):
    assert result.status_code == 200 and result.json["code"] == 0, result.json
    return result.json["data"]


def err(result, status=400, code=40001):
    assert (result.status_code, result.json["code"]) == (status, code), result.json
    return result.json


def make_group(client, name, *serials):
    return ok(client.simulate_post(GROUP, json={"name": name, "serials": list(serials)}))


def task_serials(client, **params):
    data = ok(client.simulate_get("/api/v1/task", params={"page_size": 100, **params}))
    assert data["total"] == len(data["tasks"])
    return [t["serial"] for t in data["tasks"]]


def test_create_list_show_change_delete(client):
    team = ok(client.simulate_post(GROUP, json={"name": " Team A ", "serials": ["S1", "S2", "S1"],
                                                "colour": "ignored"}))
    assert team["name"] == "Team A" and team["serials"] == ["S1", "S2"]     # each phone once
    assert team["counts"] == {"devices": 2, "pending": 0, "running": 0}
    assert "colour" not in team and team["created_at"][-6] in "+-"
    empty = make_group(client, "night shift")
    assert empty["serials"] == [] and empty["id"] > team["id"]

    listing = ok(client.simulate_get(GROUP))
    assert [g["name"] for g in listing["groups"]] == ["Team A", "night shift"]
    assert listing["total"] == 2
    by_name = ok(client.simulate_get(GROUP, params={"name": "TEAM a"}))["groups"]
    assert [g["id"] for g in by_name] == [team["id"]]
    assert ok(client.simulate_get(GROUP, params={"name": "nobody"})) == {"groups": [], "total": 0}
    assert ok(client.simulate_get(f"{GROUP}/{team['id']}")) == team

    added = ok(client.simulate_post(f"{GROUP}/{team['id']}/add", json={"serials": ["S2", "S3"]}))
    assert added["serials"] == ["S1", "S2", "S3"] and added["added"] == ["S3"]
    removed = ok(client.simulate_post(f"{GROUP}/{team['id']}/remove",
                                      json={"serials": ["S1", "S9"]}))
    assert removed["serials"] == ["S2", "S3"] and removed["removed"] == ["S1"]
    changed = ok(client.simulate_patch(f"{GROUP}/{team['id']}",
                                       json={"name": "Team B", "serials": ["S7", "S2"]}))
    assert (changed["name"], changed["serials"]) == ("Team B", ["S7", "S2"])
    assert ok(client.simulate_patch(f"{GROUP}/{team['id']}", json={"name": "TEAM B"}))["name"] \
        == "TEAM B"                                  # its own name in another case is no clash

    assert ok(client.simulate_delete(f"{GROUP}/{team['id']}")) == {"deleted_ids": [team["id"]]}
    for result in (client.simulate_get(f"{GROUP}/{team['id']}"),
                   client.simulate_delete(f"{GROUP}/{team['id']}"),
                   client.simulate_patch(f"{GROUP}/{team['id']}", json={"name": "x"}),
                   client.simulate_post(f"{GROUP}/{team['id']}/add", json={"serials": ["S1"]}),
                   client.simulate_post(f"{GROUP}/{team['id']}/remove", json={"serials": ["S1"]})):
        err(result, 404, 40401)
    again = make_group(client, "Team B")
    assert again["id"] > empty["id"]                 # ids are never reused


def test_names_are_unique_ignoring_case_and_bad_input_names_its_field(client):
    team = make_group(client, "Team A", "S1")
    other = make_group(client, "Other")
    clash = err(client.simulate_post(GROUP, json={"name": "team a"}))
    assert clash["data"]["field"] == "name" and "'Team A' already exists" in clash["message"]
    assert err(client.simulate_patch(f"{GROUP}/{other['id']}",
                                     json={"name": "TEAM A"}))["data"]["field"] == "name"
    for body, field in (({}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"),
                        ({"name": "x" * 65}, "name"), ({"name": "bad\nname"}, "name"),
                        ({"name": 7}, "name"), ({"name": "ok", "serials": "S1"}, "serials"),
                        ({"name": "ok", "serials": ["S1", "bad serial;id"]}, "serials[1]"),
                        ({"name": "ok", "serials": [f"S{i}" for i in range(1001)]}, "serials")):
        assert err(client.simulate_post(GROUP, json=body))["data"]["field"] == field, body
    item = f"{GROUP}/{team['id']}"
    assert err(client.simulate_patch(item, json={"colour": "red"}))["message"].startswith(
        "The request body changes nothing")
    assert err(client.simulate_post(item + "/add", json={"serials": []}))["data"]["field"] \
        == "serials"
    full = ok(client.simulate_patch(item, json={"serials": [f"S{i}" for i in range(1000)]}))
    assert full["counts"]["devices"] == 1000
    too_many = err(client.simulate_post(item + "/add", json={"serials": ["S1", "EXTRA"]}))
    assert too_many["data"]["field"] == "serials" and "at most 1000" in too_many["message"]
    assert err(client.simulate_get(f"{GROUP}/abc"))["data"]["field"] == "group_id"
    err(client.simulate_put(item, json={}), 405, 40501)
    assert ok(client.simulate_get(item))["counts"]["devices"] == 1000   # refusals changed nothing


def test_groups_in_post_task_are_the_union_with_serials_each_phone_once(client):
    make_group(client, "Team A", "S1", "S2")
    make_group(client, "team b", "S2", "S3")
    ids = make_tasks(client, serials=["S9", "S3"], groups=["TEAM a", "Team B"])
    assert task_serials(client)[::-1] == ["S9", "S3", "S1", "S2"] and len(ids) == 4
    only_groups = ok(client.simulate_post("/api/v1/task", json={
        "groups": ["team b"], "script_name": "account_warmup"}))
    assert only_groups["created_count"] == 2


def test_groups_in_post_task_refusals_name_the_field_and_create_nothing(client):
    make_group(client, "Team A", "S1")
    make_group(client, "idle")
    base = {"script_name": "account_warmup"}
    unknown = err(client.simulate_post("/api/v1/task", json={**base, "groups": ["Team A", "nope"]}))
    assert unknown["data"] == {"field": "groups", "group": "nope"}
    assert "there is no group 'nope'" in unknown["message"]
    empty = err(client.simulate_post("/api/v1/task", json={**base, "serials": ["S1"],
                                                           "groups": ["IDLE"]}))
    assert empty["data"]["field"] == "groups" and "group 'idle' has no phones" in empty["message"]
    mixed = err(client.simulate_post("/api/v1/task", json={**base, "groups": ["Team A"],
                                                           "usernames": ["alice"]}))
    assert mixed["data"]["field"] == "groups" and "usernames" in mixed["message"]
    for groups, field in (("Team A", "groups"), ([], "groups"), ([""], "groups[0]")):
        assert err(client.simulate_post("/api/v1/task", json={**base, "groups": groups})
                   )["data"]["field"] == field
    assert "either serials or usernames (groups add phones to serials)" in err(
        client.simulate_post("/api/v1/task", json=base))["message"]
    assert ok(client.simulate_get("/api/v1/task/stats"))["total"] == 0


def test_group_filter_on_task_list_follows_membership_and_deleting_keeps_tasks(services_client):
    client, services = services_client
    first = make_tasks(client, serials=["S1", "S2", "S3"])
    make_tasks(client, serials=["S1", "S3"])
    team = make_group(client, "Team A", "S1", "S3")
    assert task_serials(client, group="team A") == ["S3", "S1", "S3", "S1"]   # newest first
    assert task_serials(client, group="Team A", serial="S3") == ["S3", "S3"]
    assert task_serials(client, group="Team A", serial="S2") == []
    services.store.tasks.update(first[0], {"status": RUNNING})
    assert task_serials(client, group="Team A", status=RUNNING) == ["S1"]
    assert ok(client.simulate_get(f"{GROUP}/{team['id']}"))["counts"] == {
        "devices": 2, "pending": 3, "running": 1}
    page = ok(client.simulate_get("/api/v1/task", params={"group": "Team A", "page_size": 3,
                                                          "page": 2}))
    assert page["total"] == 4 and [t["serial"] for t in page["tasks"]] == ["S1"]

    ok(client.simulate_post(f"{GROUP}/{team['id']}/add", json={"serials": ["S2"]}))
    assert len(task_serials(client, group="Team A")) == 5
    make_group(client, "idle")
    assert task_serials(client, group="idle") == []
    unknown = err(client.simulate_get("/api/v1/task", params={"group": "nope"}))
    assert unknown["data"]["field"] == "group"
    blank = err(client.simulate_get("/api/v1/task", params={"group": ""}))
    assert blank["data"]["field"] == "group"

    ok(client.simulate_delete(f"{GROUP}/{team['id']}"))
    assert ok(client.simulate_get("/api/v1/task/stats"))["total"] == 5
    assert err(client.simulate_get("/api/v1/task", params={"group": "Team A"}))["data"] == {
        "field": "group", "group": "Team A"}


def test_groups_survive_a_restart_and_ids_are_not_reused(make_client, tmp_path):
    state = str(tmp_path / "kept")
    client, services = make_client(state_dir=state)
    gone = make_group(client, "Gone", "S1")
    make_group(client, "Team A", "S1", "S2")
    ok(client.simulate_delete(f"{GROUP}/{gone['id']}"))
    services.close()
    client, _ = make_client(state_dir=state)
    assert [(g["name"], g["serials"]) for g in ok(client.simulate_get(GROUP))["groups"]] == [
        ("Team A", ["S1", "S2"])]
    assert err(client.simulate_post(GROUP, json={"name": "TEAM A"}))["data"]["field"] == "name"
    assert make_group(client, "Gone")["id"] > gone["id"] + 1


def test_concurrent_changes_lose_nothing_and_one_of_two_clashing_names_wins(services_client):
    client, services = services_client
    team = make_group(client, "Team A")
    outcomes: list[str] = []

    def adder(n: int) -> None:
        for i in range(20):
            services.groups.add(team["id"], [f"T{n}-{i}"])

    def creator(name: str) -> None:
        try:
            services.groups.create({"name": name})
            outcomes.append("created")
        except InvalidParams as exc:
            outcomes.append(exc.data["field"])

    threads = [threading.Thread(target=adder, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=creator, args=(name,)) for name in ("Night", "NIGHT")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert ok(client.simulate_get(f"{GROUP}/{team['id']}"))["counts"]["devices"] == 120
    assert sorted(outcomes) == ["created", "name"]


def test_openapi_documents_the_group_routes_and_the_extensions(client):
    doc = client.simulate_get("/api/v1/openapi.json").json
    operations = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert {("/group", "get"), ("/group", "post"), ("/group/{group_id}", "get"),
            ("/group/{group_id}", "patch"), ("/group/{group_id}", "delete"),
            ("/group/{group_id}/add", "post"), ("/group/{group_id}/remove", "post")} <= operations
    create = doc["components"]["schemas"]["CreateTask"]  # POST /task's body, by script
    assert "union" in create["properties"]["groups"]["description"]
    for path in ("/task", "/device"):
        params = {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert "group" in params, path


def test_device_list_filters_by_group_and_each_device_names_its_groups(tmp_path, sim_farm):
    """On the real hub with simulated phones: GET /device?group lists the group's phones that
    the hub has seen; every device object carries `groups`."""
    phones = sim_farm(3).phones
    config = hub_config(tmp_path, adb_enabled=True, adb_port=free_port(), adb_path="/usr/bin/adb",
                        plan="Business")
    with running_hub(config) as hub:
        serials = [phone.address for phone in phones]
        for serial in serials:
            assert hub.call("POST", "/device/connect", {"address": serial})[1]["code"] == 0
        wait_for(lambda: len(hub.call("GET", "/device")[1]["data"]["devices"]) == 3, 20,
                 message="three phones listed")
        for name, members in (("Team A", [*serials[:2], "NEVER-SEEN"]), ("Night", serials[1:2])):
            assert hub.call("POST", "/group", {"name": name, "serials": members})[1]["code"] == 0

        listed = hub.call("GET", "/device?group=team%20a")[1]["data"]
        assert sorted(d["serial"] for d in listed["devices"]) == sorted(serials[:2])
        everyone = {d["serial"]: d["groups"]
                    for d in hub.call("GET", "/device")[1]["data"]["devices"]}
        assert everyone == {serials[0]: ["Team A"], serials[1]: ["Team A", "Night"],
                            serials[2]: []}
        assert hub.call("GET", f"/device/{serials[1]}")[1]["data"]["groups"] == ["Team A", "Night"]
        status, answer = hub.call("GET", "/device?group=nope")
        assert (status, answer["code"], answer["data"]["field"]) == (400, 40001, "group")
