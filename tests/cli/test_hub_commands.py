"""status, tasks, license and token against the real hub on a free port."""

from __future__ import annotations

import json
import threading

from appliance.services.statefiles import TOKEN_FILE


def test_commands_say_how_to_start_a_hub_when_none_answers(cli):
    for args in (["status"], ["tasks", "list"], ["tasks", "wait", "1"]):
        result = cli(*args)
        assert result.exit_code == 1
        assert "no hub answers at http://127.0.0.1:1: start it with `appliance serve`" in result.output


def test_status_shows_version_plan_and_task_counts(live_hub):
    live_hub.cli("tasks", "create", "--serial", "A1", "--serial", "B2", "--script", "account_warmup")
    result = live_hub.cli("status")
    assert result.exit_code == 0, result.output
    assert "version 0.1.0" in result.output
    assert "Pro (API on, up to 20 devices at once)" in result.output
    assert "2 total: 2 pending, 0 running" in result.output
    data = json.loads(live_hub.cli("status", "--json").output)
    assert data["plan"]["plan_name"] == "Pro" and data["tasks"]["pending"] == 2


def test_task_lifecycle_through_the_cli(live_hub):
    cli = live_hub.cli
    created = json.loads(cli("tasks", "create", "--serial", "A1", "--serial", "B2",
                             "--script", "account_warmup", "--config", '{"task_duration": 60}',
                             "--min-interval", "0", "--max-interval", "2", "--json").output)
    assert created["created_count"] == 2
    first, second = created["task_ids"]

    listing = cli("tasks", "list", "--serial", "A1")
    assert "A1" in listing.output and "B2" not in listing.output and "1 of 1 tasks" in listing.output

    shown = cli("tasks", "show", str(first))
    assert "status:       pending" in shown.output and '"task_duration": 60' in shown.output

    assert "failed (stopped)" in cli("tasks", "stop", str(first)).output
    assert json.loads(cli("tasks", "list", "--status", "failed", "--json").output)["total"] == 1
    assert "pending, retry 1" in cli("tasks", "retry", str(first)).output
    cli("tasks", "stop", str(first))
    cli("tasks", "stop", str(second))
    retried = json.loads(cli("tasks", "retry-all", "--json").output)
    assert sorted(retried["task_ids"]) == sorted([first, second])

    deleted = cli("tasks", "delete", str(first), "999")
    assert f"deleted 1 task(s): {first}" in deleted.output and "not found: 999" in deleted.output
    missing = cli("tasks", "show", str(first))
    assert missing.exit_code == 1 and "40401" in missing.output


def test_create_reports_the_hubs_validation_message(live_hub):
    result = live_hub.cli("tasks", "create", "--serial", "A1", "--script", "no_such_script")
    assert result.exit_code == 1 and "40003" in result.output
    both = live_hub.cli("tasks", "create", "--serial", "A1", "--username", "u", "--script", "x")
    assert both.exit_code == 2 and "not both" in both.output


def test_wait_ends_when_tasks_end_and_fails_for_failed_ones(live_hub):
    cli = live_hub.cli
    ids = json.loads(cli("tasks", "create", "--serial", "A1", "--serial", "B2",
                         "--script", "account_warmup", "--json").output)["task_ids"]
    timed_out = cli("tasks", "wait", *map(str, ids), "--timeout", "0.2", "--interval", "0.05")
    assert timed_out.exit_code == 1 and "timed out; still unfinished" in timed_out.output

    # Finish them as the engine would (adb is off in this hub): one completed, one stopped.
    repo = live_hub.services.store.tasks
    outcome = {}
    waiter = threading.Thread(target=lambda: outcome.update(
        r=cli("tasks", "wait", *map(str, ids), "--interval", "0.05", "--json")))
    waiter.start()
    repo.update(ids[0], {"status": 2, "remark": "done"})
    # Over HTTP, not the CLI: CliRunner swaps sys.stdout, so two invocations must not overlap.
    assert live_hub.call("POST", f"/task/{ids[1]}/stop")[0] == 200
    waiter.join(30)
    result = outcome["r"]
    assert result.exit_code == 1 and f"failed: {ids[1]}" in result.output
    assert "waiting for tasks" in result.output  # the progress bar (on stderr)


def test_wait_succeeds_when_all_complete(live_hub):
    cli = live_hub.cli
    ids = json.loads(cli("tasks", "create", "--serial", "A1", "--script", "account_warmup",
                         "--json").output)["task_ids"]
    live_hub.services.store.tasks.update(ids[0], {"status": 2})
    result = cli("tasks", "wait", str(ids[0]))
    assert result.exit_code == 0 and "completed" in result.output


def test_license_set_applies_to_the_running_hub(live_hub):
    cli = live_hub.cli
    assert cli("license", "show").output.startswith("Pro:")
    assert "plan set to Starter" in cli("license", "set", "starter").output
    shown = json.loads(cli("license", "show", "--json").output)
    assert shown == {**shown, "plan_name": "Starter", "api_enabled": False}
    # The hub re-reads the plan file: the API is now closed, and status says so.
    status, envelope = live_hub.call("GET", "/task/stats")
    assert status == 403 and envelope["code"] == 40301
    assert "Starter (no API access" in cli("status").output
    # ...but not to the operator: the CLI uses the operator's surface, open on every plan.
    created = json.loads(cli("tasks", "create", "--serial", "A1", "--script", "account_warmup",
                             "--json").output)
    shown = json.loads(cli("tasks", "show", str(created["task_ids"][0]), "--json").output)
    assert shown["source"] == "ui"
    assert "failed (stopped)" in cli("tasks", "stop", str(created["task_ids"][0])).output
    assert cli("license", "set", "Business").exit_code == 0
    assert live_hub.call("GET", "/task/stats")[0] == 200


def test_license_rejects_unknown_plans_and_works_without_a_hub(cli):
    assert cli("license", "set", "Gold").exit_code == 2
    assert "from config and state files" in cli("license", "show").output
    cli("license", "set", "Team")
    assert json.loads(cli("license", "show", "--json").output)["device_limit"] == 50


def test_token_rotate_replaces_the_token_the_hub_accepts(live_hub):
    cli = live_hub.cli
    old = cli("token", "show").stdout.strip()
    assert old == (live_hub.config.state_dir / TOKEN_FILE).read_text().strip()
    rotated = json.loads(cli("token", "rotate", "--json").output)
    assert rotated["rotated"] and rotated["token"] != old
    access = live_hub.services.access
    assert access.token_ok(f"Bearer {rotated['token']}") and not access.token_ok(f"Bearer {old}")
    assert oct((live_hub.config.state_dir / TOKEN_FILE).stat().st_mode & 0o777) == "0o600"


def test_status_reports_the_adb_server(live_hub, adb_server):
    running = live_hub.cli("status", APPLIANCE_ADB_PORT=str(adb_server.port))
    assert f"adb:     server running (port {adb_server.port}, version 41)" in running.output
    data = json.loads(live_hub.cli("status", "--json", APPLIANCE_ADB_PORT=str(adb_server.port)).output)
    assert data["adb"] == {"running": True, "port": adb_server.port, "version": 41}
    off = live_hub.cli("status", APPLIANCE_ADB_ENABLED="false")
    assert "adb:     disabled in the config" in off.output
    assert "phones:  unknown (Devices are turned off" in off.output


def test_create_reads_script_config_from_a_file_and_passes_start_time(live_hub, tmp_path):
    settings = tmp_path / "warmup.json"
    settings.write_text('{"task_duration": 45}')
    made = json.loads(live_hub.cli("tasks", "create", "--serial", "A1", "--script", "account_warmup",
                                   "--config", f"@{settings}", "--start-time", "23:59", "--json").output)
    task = json.loads(live_hub.cli("tasks", "show", str(made["task_ids"][0]), "--json").output)
    assert task["script_config"]["task_duration"] == 45 and task["start_time"] == "23:59"
    bad = live_hub.cli("tasks", "create", "--serial", "A1", "--script", "account_warmup",
                       "--config", "{not json")
    assert bad.exit_code == 2 and "not JSON" in bad.output


def test_the_cli_never_sends_the_token_through_a_proxy(live_hub):
    # urllib honours http_proxy: the token would travel to it in clear, and the hub's on the LAN.
    result = live_hub.cli("status", http_proxy="http://127.0.0.1:1", HTTP_PROXY="http://127.0.0.1:1")
    assert result.exit_code == 0 and "version 0.1.0" in result.output, result.output
