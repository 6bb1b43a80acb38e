"""`appliance db restore`: a backup becomes the store again, checked first, the replaced store
kept aside (and restorable), never beside a running hub."""

from __future__ import annotations

import json
from pathlib import Path

from appliance.storage import Store
from tests.fixtures import Cli
from tests.hubkit import hub_config, running_hub


def create(hub, *serials: str) -> list[int]:
    status, envelope = hub.call("POST", "/task", {"serials": list(serials),
                                                  "script_name": "account_warmup"})
    assert status == 200, envelope
    return envelope["data"]["task_ids"]


def task_ids(hub) -> set[int]:
    return {t["id"] for t in hub.call("GET", "/task?page_size=100")[1]["data"]["tasks"]}


def store_bytes(state_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(state_dir.iterdir())
            if p.name == "store.snap" or p.name.startswith("journal.")}


def test_restore_brings_back_the_backed_up_tasks_and_can_be_undone(tmp_path):
    config = hub_config(tmp_path)
    state = Path(config.state_dir)
    with running_hub(config) as hub:
        kept = create(hub, "A1", "A2", "A3")
        cli = Cli(state, hub.server.port)
        backup = json.loads(cli("db", "backup", "before.snap", "--json").output)["path"]
        later = create(hub, "B1", "B2")
    cli = Cli(state)   # no hub now

    result = cli("db", "restore", "before.snap")   # a name in the backups folder will do
    assert result.exit_code == 0, result.output
    assert f"restored {backup} into {state}: 3 tasks, 0 accounts" in result.output
    (aside,) = state.glob("replaced-*")
    assert f"the replaced store is kept in {aside}" in result.output
    assert (state / "store.snap").stat().st_mode & 0o777 == 0o600
    assert aside.stat().st_mode & 0o777 == 0o700
    assert sorted(p.stat().st_mode & 0o777 for p in aside.iterdir()) == [0o600] * len(
        list(aside.iterdir()))

    with running_hub(config) as hub:
        assert task_ids(hub) == set(kept)
        (new,) = create(hub, "C1")
        assert new > max(later)   # docs/API.md, Tasks: ids are never reused, not even after a restore

    undo = cli("db", "restore", str(aside), "--json")
    assert undo.exit_code == 0, undo.output
    assert json.loads(undo.output)["tasks"] == 5
    with running_hub(config) as hub:
        assert task_ids(hub) == set(kept + later)


def test_a_damaged_store_is_replaced_by_its_backup(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([{"serial": "A1", "script_name": "account_warmup", "status": 0}])
    cli = Cli(state)
    assert cli("db", "backup", "good.snap").exit_code == 0
    with Store.open(state) as store:
        store.compact()
    (state / "store.snap").write_bytes(b"\x00" * 64)   # the disk ate it
    damaged = cli("db", "check")
    assert damaged.exit_code == 1 and "is damaged" in damaged.output   # quarantined, marker left

    result = cli("db", "restore", "good.snap")
    assert result.exit_code == 0, result.output
    assert cli("db", "check").output == f"store in {state}: no problems found\n"
    with Store.open(state) as store:
        assert [t["serial"] for t in store.tasks.list({}, 0, 10)[0]] == ["A1"]


def test_a_corrupt_backup_is_refused_and_nothing_changes(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([{"serial": "A1", "script_name": "account_warmup", "status": 0}])
    before = store_bytes(state)
    cli = Cli(state)
    for data, says in ((b"", "the file is empty"), (b"not a backup\n" * 10, "is not a backup"),
                       (b"\x1f\x8b\x08\x00 a gzip archive", "is not a backup")):
        bad = tmp_path / "bad.snap"
        bad.write_bytes(data)
        result = cli("db", "restore", str(bad))
        assert result.exit_code == 1, result.output
        assert says in result.output and "nothing was changed" in result.output, result.output
    # A backup cut short on its way here.
    assert cli("db", "backup", "whole.snap").exit_code == 0
    whole = (state / "backups" / "whole.snap").read_bytes()
    cut = tmp_path / "cut.snap"
    cut.write_bytes(whole[:-10])
    result = cli("db", "restore", str(cut))
    assert result.exit_code == 1 and "nothing was changed" in result.output, result.output
    assert store_bytes(state) == before
    assert not list(state.glob("replaced-*")) and not list(state.glob(".restore-*"))


def test_restore_is_refused_while_a_hub_holds_the_store(live_hub, tmp_path):
    create(live_hub, "A1")
    cli = live_hub.cli
    assert cli("db", "backup", "now.snap").exit_code == 0
    before = store_bytes(live_hub.config.state_dir)
    result = cli("db", "restore", "now.snap")
    assert result.exit_code == 1
    assert "a running hub holds the store" in result.output
    assert "stop the hub first" in result.output
    assert store_bytes(live_hub.config.state_dir) == before
    assert task_ids(live_hub) == {1}
