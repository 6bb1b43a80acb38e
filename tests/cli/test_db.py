"""db backup|check|compact: beside a live hub (backup through the hub) and with the store alone."""

from __future__ import annotations

import json
import shutil
import threading

from appliance.storage import Store
from tests.hubkit import call


def restore(backup, tmp_path, name="restored"):
    """Restore as the backup's help says: copy it to <fresh dir>/store.snap and open."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(backup, folder / "store.snap")
    return Store.open(folder)


def test_backup_during_a_write_load_holds_every_acknowledged_task(live_hub, tmp_path):
    acknowledged: list[int] = []
    stop = threading.Event()
    errors: list = []

    def writer(serial: str) -> None:
        while not stop.is_set():
            status, envelope = live_hub.call("POST", "/task", {"serials": [serial],
                                                               "script_name": "account_warmup"})
            if status != 200:
                errors.append(envelope)
                return
            acknowledged.extend(envelope["data"]["task_ids"])

    threads = [threading.Thread(target=writer, args=(f"S{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    try:
        while len(acknowledged) < 30 and not errors:
            threading.Event().wait(0.01)
        before = set(acknowledged)
        result = live_hub.cli("db", "backup", "under-load.snap", "--json")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors and result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["by"] == "hub"
    assert answer["path"] == str((live_hub.config.state_dir / "backups" / "under-load.snap").resolve())
    with restore(answer["path"], tmp_path) as copy:
        assert copy.check() == []
        missing = [i for i in before if copy.tasks.get(i) is None]
        assert not missing, f"tasks acknowledged before the backup are missing: {missing}"


def test_backup_names_are_confined_to_the_backups_folder(live_hub):
    result = live_hub.cli("db", "backup", "../../etc/passwd")
    assert result.exit_code == 1 and "must stay inside" in result.output
    base = live_hub.url.replace("/api/v1", "")
    for name in ("/tmp/elsewhere.snap", "../store.snap", ""):
        status, envelope = call(base, "POST", "/admin/db/backup", {"path": name or "."})
        assert status == 400 and "must stay inside" in envelope["message"], name
    assert not (live_hub.config.state_dir / "backups").exists()


def test_admin_route_wants_json(live_hub):
    # A web page can POST a form to loopback without a preflight; it must not trigger a backup.
    import urllib.error
    import urllib.request

    request = urllib.request.Request(live_hub.url.replace("/api/v1", "/admin/db/backup"),
                                     data=b"path=x", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a form post was accepted")
    except urllib.error.HTTPError as exc:
        status, envelope = exc.code, json.loads(exc.read())
    assert status == 400 and "application/json" in envelope["message"]
    assert not (live_hub.config.state_dir / "backups").exists()


def test_check_and_compact_refuse_beside_a_live_hub(live_hub):
    for command in ("check", "compact"):
        result = live_hub.cli("db", command)
        assert result.exit_code == 1
        assert "a running hub holds the store" in result.output
        assert f"it answers at http://127.0.0.1:{live_hub.server.port}" in result.output
        assert "stop the hub first" in result.output


def test_store_alone_backup_check_compact(cli, tmp_path):
    with Store.open(cli.state_dir) as store:
        ids = [d["id"] for d in store.tasks.create_many(
            [{"serial": f"S{i}", "script_name": "x", "status": 0} for i in range(5)])]
    backup = cli("db", "backup", "--json")
    assert backup.exit_code == 0, backup.output
    answer = json.loads(backup.output)
    assert answer["by"] == "cli" and "/backups/store-" in answer["path"]
    with restore(answer["path"], tmp_path) as copy:
        assert [copy.tasks.get(i)["serial"] for i in ids] == [f"S{i}" for i in range(5)]

    checked = cli("db", "check")
    assert checked.exit_code == 0 and "no problems found" in checked.output
    compacted = json.loads(cli("db", "compact", "--json").output)
    assert set(compacted) == {"bytes_before", "bytes_after"}
    with Store.open(cli.state_dir) as store:
        assert store.tasks.stats()["total"] == 5


def test_db_commands_need_an_existing_state_dir(cli):
    for command in ("backup", "check", "compact"):
        result = cli("db", command)
        assert result.exit_code == 1 and "no state directory" in result.output
    assert not cli.state_dir.exists()
