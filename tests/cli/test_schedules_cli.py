"""`appliance schedules` against a live hub: add, list, show, disable, enable, run and delete, what
each reports, and `tasks list --source schedule` finding what a firing made."""

import json


def test_a_schedule_from_add_to_delete(live_hub):
    cli = live_hub.cli
    added = cli("schedules", "add", "--name", "morning posts", "--time", "21:30,08:00",
                "--weekday", "mon", "--weekday", "6", "--serial", "S1", "--serial", "S2",
                "--script", "account_warmup", "--config", '{"task_duration": 60}')
    assert added.exit_code == 0, added.output
    assert added.output.startswith("schedule 1 added; next runs: ")
    listing = cli("schedules", "list").output.splitlines()
    assert listing[0].split()[:4] == ["ID", "ON", "NAME", "WHEN"]
    assert listing[1].split()[:6] == ["1", "yes", "morning", "posts", "mon,sun", "at"]
    assert listing[-1] == "1 schedule(s)"
    shown = cli("schedules", "show", "1").output
    assert "when:         mon,sun at 08:00,21:30" in shown and "targets:      serials S1, S2" in shown
    assert json.loads(cli("schedules", "show", "1", "--json").output)["script_config"] == \
        {"task_duration": 60}

    assert "schedule 1 disabled; next run: -" in cli("schedules", "disable", "1").output
    refused = cli("schedules", "run", "1")
    assert refused.exit_code == 1 and "disabled" in refused.output and "40001" in refused.output
    assert "schedule 1 enabled; next run: 20" in cli("schedules", "enable", "1").output
    fired = cli("schedules", "run", "1")
    assert fired.exit_code == 0 and fired.output.startswith("created 2 task(s): "), fired.output
    tasks = json.loads(cli("tasks", "list", "--source", "schedule", "--json").output)["tasks"]
    assert sorted((t["serial"], t["schedule_id"]) for t in tasks) == [("S1", 1), ("S2", 1)]
    assert "last_tasks:   2" in cli("schedules", "show", "1").output

    assert cli("schedules", "delete", "1").output.strip() == "schedule 1 deleted"
    gone = cli("schedules", "show", "1")
    assert gone.exit_code == 1 and "Schedule 1 does not exist" in gone.output
    assert len(json.loads(cli("tasks", "list", "--json").output)["tasks"]) == 2   # tasks kept
