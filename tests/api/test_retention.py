"""Retention: old finished tasks leave the live table for the archive, readable by `appliance db`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from click.testing import CliRunner

from appliance.cli import main
from appliance.domain.tasks import COMPLETED, FAILED
from tests.fixtures import make_tasks


def test_old_finished_tasks_are_archived_and_readable(services_client):
    client, services = services_client
    ids = make_tasks(client, 4)
    long_ago = (datetime.now().astimezone() - timedelta(days=40)).isoformat(timespec="seconds")
    yesterday = (datetime.now().astimezone() - timedelta(days=1)).isoformat(timespec="seconds")
    services.store.tasks.update(ids[0], {"status": COMPLETED, "finished_at": long_ago})
    services.store.tasks.update(ids[1], {"status": FAILED, "finished_at": long_ago, "remark": "x"})
    services.store.tasks.update(ids[2], {"status": COMPLETED, "finished_at": yesterday})
    # ids[3] stays pending: never archived, however old.

    assert services.housekeeping.run_once() == 2
    listed = [t["id"] for t in client.simulate_get("/api/v1/task").json["data"]["tasks"]]
    assert sorted(listed) == sorted(ids[2:])
    assert client.simulate_get(f"/api/v1/task/{ids[0]}").json["code"] == 40401

    env = {"APPLIANCE_STATE_DIR": str(services.config.state_dir)}
    runner = CliRunner()
    files = json.loads(runner.invoke(main, ["db", "archives", "--json"], env=env).output)
    assert sum(f["tasks"] for f in files) == 2
    shown = runner.invoke(main, ["db", "archive", files[0]["file"], "--json"], env=env)
    assert sorted(t["id"] for t in json.loads(shown.output)) == sorted(ids[:2])
    refused = runner.invoke(main, ["db", "archive", "../store.snap"], env=env)
    assert refused.exit_code == 1 and "no archive named" in refused.output


def test_retention_zero_keeps_everything(make_client):
    client, services = make_client(retention_days=0)
    [task_id] = make_tasks(client)
    services.store.tasks.update(task_id, {"status": COMPLETED,
                                          "finished_at": "2000-01-01T00:00:00+00:00"})
    assert services.housekeeping.run_once() == 0
    assert client.simulate_get(f"/api/v1/task/{task_id}").json["code"] == 0
