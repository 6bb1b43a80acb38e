"""Snapshots, backups and compaction while writers run; a snapshot from a build that kept other
index fields still opens."""

from __future__ import annotations

import threading

from appliance.storage import Store
from appliance.storage import store as store_module
from appliance.storage.backend import DocTable
from appliance.storage.indexes import INDEXED
from tests.fixtures import make_task


def test_compact_and_backup_beside_writers_lose_nothing(tmp_path):
    state = tmp_path / "state"
    store = Store.open(state, journal_limit=16 << 10)  # background snapshots as well
    acked: dict[int, int] = {}
    acked_lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        while not stop.is_set():
            (task,) = store.tasks.create_many([make_task(serial=f"W{n}")])
            store.tasks.update(task["id"], {"status": 1, "retry_count": n})
            with acked_lock:
                acked[task["id"]] = n

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    backups = []
    for k in range(6):
        store.compact()
        backups.append(store.backup(tmp_path / f"backup-{k}.snap"))
    stop.set()
    for t in threads:
        t.join()
    assert store.check() == []
    store.close()

    with Store.open(state) as again:
        assert again.check() == []
        for task_id, n in acked.items():
            doc = again.tasks.get(task_id)
            assert doc["serial"] == f"W{n}" and doc["status"] == 1 and doc["retry_count"] == n
        assert again.tasks.stats()["running"] == len(acked)
    for k, path in enumerate(backups):
        fresh = tmp_path / f"restore-{k}"
        fresh.mkdir()
        path.rename(fresh / "store.snap")
        with Store.open(fresh) as restored:  # each backup is a consistent moment
            assert restored.check() == []
            for doc in restored.tasks.list({}, 0, 10_000)[0]:
                assert doc["serial"].startswith("W")


def test_snapshot_written_with_other_kept_fields_still_opens(tmp_path, monkeypatch):
    state = tmp_path / "state"
    old_layout = dict(store_module.LAYOUT, tasks=lambda: DocTable(INDEXED))
    monkeypatch.setattr(store_module, "LAYOUT", old_layout)
    with Store.open(state) as store:
        store.tasks.create_many([make_task(status=n % 4, finished_at=None) for n in range(40)])
        store.compact()
    monkeypatch.undo()
    with Store.open(state) as store:  # the kept values are rebuilt from the documents
        assert store.check() == []
        assert store.tasks.list({"status": 2}, 0, 100)[1] == 10
