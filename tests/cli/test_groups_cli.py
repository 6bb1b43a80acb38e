"""`appliance groups` against a live hub: create, list, show, add, remove, rename and delete by
name (ignoring case), what each reports, and the hub's refusals as sentences; `tasks create
--group` and `tasks list --group`."""

import json


def test_a_group_from_create_to_delete(live_hub):
    cli = live_hub.cli
    made = cli("groups", "create", "Team A", "S1", "S2", "S1")
    assert made.exit_code == 0 and "created group 'Team A': 2 phone(s)" in made.output
    assert cli("groups", "create", "night").exit_code == 0
    clash = cli("groups", "create", "TEAM a")
    assert clash.exit_code == 1 and "already exists" in clash.output and "40001" in clash.output

    added = cli("groups", "add", "team a", "S2", "S3")
    assert added.exit_code == 0, added.output
    assert "added 1; group 'Team A': 3 phone(s)" in added.output
    assert "already in the group: S2" in added.output
    removed = cli("groups", "remove", "Team A", "S1", "S9")
    assert "removed 1; group 'Team A': 2 phone(s)" in removed.output
    assert "not in the group: S9" in removed.output

    made = cli("tasks", "create", "--group", "team a", "--serial", "S3", "--script",
               "account_warmup")
    assert made.exit_code == 0 and "created 2 task(s)" in made.output, made.output
    listing = cli("groups", "list").output.splitlines()
    assert listing[0].split() == ["ID", "NAME", "PHONES", "PENDING", "RUNNING"]
    assert listing[1].split() == ["1", "Team", "A", "2", "2", "0"]
    assert listing[-1] == "2 group(s)"
    listed = json.loads(cli("tasks", "list", "--group", "Team A", "--json").output)
    assert sorted(t["serial"] for t in listed["tasks"]) == ["S2", "S3"]
    shown = cli("groups", "show", "TEAM A").output
    assert "name:       Team A" in shown and "  S2\n  S3\n" in shown
    assert json.loads(cli("groups", "show", "team a", "--json").output)["serials"] == ["S2", "S3"]

    renamed = cli("groups", "rename", "team a", "Day shift")
    assert renamed.output.strip() == "renamed group 'Team A' to 'Day shift'"
    assert [g["name"] for g in json.loads(cli("groups", "list", "--json").output)] == [
        "Day shift", "night"]
    deleted = cli("groups", "delete", "day SHIFT")
    assert deleted.exit_code == 0 and "their tasks are kept" in deleted.output
    assert live_hub.call("GET", "/task/stats")[1]["data"]["total"] == 2
    gone = cli("groups", "show", "Day shift")
    assert gone.exit_code == 1 and "no group named 'Day shift'" in gone.output


def test_the_hub_refuses_bad_serials_and_names_with_the_field(live_hub):
    cli = live_hub.cli
    bad = cli("groups", "create", "ok", "S1", "not a serial")
    assert bad.exit_code == 1 and "serials[1]" in bad.output
    long_name = cli("groups", "create", "x" * 65)
    assert long_name.exit_code == 1 and "name" in long_name.output
    assert json.loads(cli("groups", "list", "--json").output) == []
