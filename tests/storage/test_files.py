"""What the store does with its files: torn tails, corruption kept aside, the hub lock,
backups, compaction and the migration from the previous (stock TinyDB) format."""

from __future__ import annotations

import json
import os
from datetime import UTC

import pytest
from tinydb import TinyDB
from tinydb.storages import JSONStorage

from appliance.errors import StoreError
from appliance.storage import Store
from appliance.storage.journal import list_journals
from tests.fixtures import make_task


def journal_of(state):
    return list_journals(state)[-1][1]


def test_torn_last_record_is_dropped_and_the_rest_kept(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([make_task() for _ in range(3)])
        store.tasks.update(2, {"remark": "kept"})
    path = journal_of(state)
    good = path.stat().st_size
    with Store.open(state) as store:
        store.tasks.update(3, {"remark": "torn"})
    data = path.read_bytes()
    for cut in (good + 3, good + 9, len(data) - 1):  # inside the header, inside the payload
        path.write_bytes(data[:cut])
        with Store.open(state) as store:
            assert store.tasks.get(2)["remark"] == "kept"
            assert store.tasks.get(3)["remark"] == ""
            assert store.check() == []
        assert path.stat().st_size == good  # truncated at the last good record
    # a tail of zeros (file size grew but the data never landed) is torn too
    path.write_bytes(data[:good] + b"\0" * 64)
    with Store.open(state) as store:
        assert store.tasks.stats()["total"] == 3
        store.tasks.create_many([make_task()])
    with Store.open(state) as store:
        assert store.tasks.ids_where() == [1, 2, 3, 4]


def test_damaged_record_in_the_middle_is_a_clear_error_and_kept_aside(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([make_task(remark="x" * 50) for _ in range(3)])
        store.tasks.update(1, {"remark": "later"})
    path = journal_of(state)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        Store.open(state)
    message = caught.value.message
    assert path.name in message and "corrupt-" in message and "backup" in message
    aside = [p for p in state.iterdir() if p.name.startswith(path.name + ".corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == bytes(data)
    # the next start refuses too, instead of opening what is left as if nothing happened
    with pytest.raises(StoreError) as again:
        Store.open(state)
    assert "RECOVERY-NEEDED" in again.value.message
    # the operator accepts the loss by deleting the marker: the store opens with what remains
    (state / "RECOVERY-NEEDED.txt").unlink()
    with Store.open(state) as store:
        assert store.check() == []
        assert store.tasks.create_many([make_task()])[0]["id"] >= 1


def test_corrupt_snapshot_is_a_clear_error_and_kept_aside(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([make_task() for _ in range(20)])
        store.compact()
    snap = state / "store.snap"
    data = snap.read_bytes()
    snap.write_bytes(data[: len(data) - 10])  # a truncated snapshot
    with pytest.raises(StoreError) as caught:
        Store.open(state)
    assert "store.snap" in caught.value.message and "moved to" in caught.value.message
    aside = [p for p in state.iterdir() if p.name.startswith("store.snap.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == data[: len(data) - 10]
    assert not snap.exists()
    with pytest.raises(StoreError):
        Store.open(state)


def test_a_second_hub_on_the_same_dir_is_refused(tmp_path):
    state = tmp_path / "state"
    store = Store.open(state)
    with pytest.raises(StoreError) as caught:
        Store.open(state)
    assert caught.value.message == f"another hub is using {state}; stop it first"
    store.close()
    Store.open(state).close()  # free again once the first one closed


def test_backup_opens_in_a_fresh_dir(tmp_path):
    with Store.open(tmp_path / "state") as store:
        store.tasks.create_many([make_task() for _ in range(5)])
        store.tasks.delete_many([5])
        store.tasks.append_log(1, {"ts": "t", "level": "info", "message": "m"}, 10)
        store.meta.set("plan", "Team")
        store.accounts.create({"username": "a"})
        (tmp_path / "fresh").mkdir()
        written = store.backup(tmp_path / "fresh")
        assert written == tmp_path / "fresh" / "store.snap"
    with Store.open(tmp_path / "fresh") as copy:
        assert copy.tasks.ids_where() == [1, 2, 3, 4]
        assert copy.tasks.logs(1)[0]["message"] == "m"
        assert copy.meta.get("plan") == "Team"
        assert copy.accounts.get_by_username("a")["id"] == 1
        assert copy.tasks.create_many([make_task()])[0]["id"] == 6
        assert copy.check() == []


def test_compact_drops_old_journals_and_keeps_everything(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([make_task() for _ in range(10)])
        store.tasks.update(4, {"status": 2})
        store.compact()
        assert len(list_journals(state)) == 1
        store.tasks.update(5, {"status": 3})
        assert store.check() == []
    with Store.open(state) as store:
        assert store.tasks.stats() == {"total": 10, "pending": 8, "running": 0, "completed": 1, "failed": 1}


def test_check_reports_a_broken_index(tmp_path):
    with Store.open(tmp_path / "state") as store:
        store.tasks.create_many([make_task() for _ in range(3)])
        store.tasks.index.all.remove(2)
        assert store.check() != []


def test_migrates_a_stock_tinydb_file_once_with_a_backup(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    old = TinyDB(state / "tasks.json", storage=JSONStorage)
    tasks = old.table("tasks")
    for n in range(1, 6):
        doc = make_task(serial=f"S{n}", status=n % 4)
        tasks.insert(doc)
    tasks.remove(doc_ids=[5])  # the old store had already used id 5
    old.table("meta").insert({"key": "next_task_id", "value": 6})
    old.table("meta").insert({"key": "plan", "value": "Team"})
    old.table("accounts").insert({"username": "alice", "device": "S1"})
    old.table("logs").insert({"task_id": 2, "ts": "t1", "level": "info", "message": "one"})
    old.table("logs").insert({"task_id": 2, "ts": "t2", "level": "info", "message": "two"})
    old.close()
    original = (state / "tasks.json").read_bytes()

    with Store.open(state) as store:
        assert store.tasks.ids_where() == [1, 2, 3, 4]
        assert store.tasks.get(2)["serial"] == "S2" and store.tasks.get(2)["id"] == 2
        assert store.tasks.stats()["running"] == 1
        assert [line["message"] for line in store.tasks.logs(2)] == ["one", "two"]
        assert store.meta.get("plan") == "Team"
        assert store.accounts.get_by_username("alice")["id"] == 1
        assert store.tasks.create_many([make_task()])[0]["id"] == 6
        assert store.check() == []
    assert not (state / "tasks.json").exists()
    backups = [p for p in state.iterdir() if p.name.startswith("tasks.json.bak-")]
    assert len(backups) == 1 and backups[0].read_bytes() == original
    with Store.open(state) as store:  # once: the second open does not migrate again
        assert store.tasks.ids_where() == [1, 2, 3, 4, 6]


def test_unreadable_old_file_is_kept_aside(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "tasks.json").write_text('{"tasks": {"1": {"serial": "A"', encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        Store.open(state)
    assert "tasks.json" in caught.value.message
    assert any(p.name.startswith("tasks.json.corrupt-") for p in state.iterdir())


def test_journal_records_are_deltas(tmp_path):
    """An update appends about the size of the document, whatever the table size."""
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([make_task() for _ in range(2000)])
        path = journal_of(state)
        before = path.stat().st_size
        store.tasks.update(1000, {"status": 1})
        grown = path.stat().st_size - before
        store.tasks.append_log(1000, {"ts": "t", "level": "info", "message": "m"}, 200)
        log_grown = path.stat().st_size - before - grown
    assert grown < 2 * len(json.dumps(make_task())) + 100
    assert log_grown < 150
    assert os.path.getsize(path) > 100 * grown


def test_store_files_are_private(tmp_path):
    import stat
    from datetime import datetime, timedelta

    from appliance.storage import Store

    store = Store.open(tmp_path)
    [_task] = store.tasks.create_many([{"serial": "S", "status": 2, "script_name": "x",
                                       "source": "api", "username": None,
                                       "finished_at": "2000-01-01T00:00:00+00:00"}])
    store.compact()
    store.tasks.archive_finished(datetime.now(UTC) - timedelta(days=1))
    store.close()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "store.snap" for p in files)
    assert any(p.suffix == ".gz" for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
