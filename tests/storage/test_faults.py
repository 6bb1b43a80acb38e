"""The disk misbehaving: a failed write changes nothing, a failed fsync stops writes, and
concurrent writers share fsyncs (group commit)."""

from __future__ import annotations

import errno
import threading

import pytest

from appliance.errors import StoreError
from appliance.storage import Store
from appliance.storage import journal as journal_module
from tests.fixtures import make_task


def test_a_failed_write_changes_nothing_and_the_store_carries_on(tmp_path, monkeypatch):
    state = tmp_path / "state"
    store = Store.open(state)
    store.tasks.create_many([make_task()])
    real_write = journal_module.os.write

    def full_disk(fd, data):
        real_write(fd, data[: len(data) // 2])  # half a record lands, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_module.os, "write", full_disk)
    with pytest.raises(StoreError) as caught:
        store.tasks.create_many([make_task(), make_task()])
    assert "No space left" in caught.value.message
    with pytest.raises(StoreError):
        store.tasks.update(1, {"status": 1})
    assert store.tasks.stats()["total"] == 1 and store.tasks.get(1)["status"] == 0
    monkeypatch.setattr(journal_module.os, "write", real_write)
    assert store.tasks.create_many([make_task()])[0]["id"] >= 2
    store.close()
    with Store.open(state) as again:  # the half record was cut off: no corruption at open
        assert again.tasks.stats()["total"] == 2
        assert again.check() == []


def test_a_failed_fsync_refuses_further_writes(tmp_path, monkeypatch):
    store = Store.open(tmp_path / "state")
    store.tasks.create_many([make_task()])

    def bad_sync(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(journal_module.os, "fdatasync", bad_sync)
    with pytest.raises(StoreError):
        store.tasks.update(1, {"status": 1})
    monkeypatch.undo()
    # after a failed fsync the kernel's page state is unknown: keep refusing, say so in check()
    with pytest.raises(StoreError):
        store.tasks.update(1, {"status": 2})
    assert any("fsync" in problem for problem in store.check())
    store.close()


def test_concurrent_writers_share_fsyncs(tmp_path, monkeypatch):
    store = Store.open(tmp_path / "state")
    store.tasks.create_many([make_task() for _ in range(8)])
    syncs = []
    real_sync = journal_module.os.fdatasync
    slow_disk = threading.Event()

    def counting_sync(fd):
        syncs.append(fd)
        slow_disk.wait(0.002)  # a disk that takes 2 ms per flush lets writers pile up
        real_sync(fd)

    monkeypatch.setattr(journal_module.os, "fdatasync", counting_sync)

    def writer(task_id):
        for n in range(40):
            store.tasks.update(task_id, {"retry_count": n + 1})

    threads = [threading.Thread(target=writer, args=(i + 1,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(store.tasks.get(i + 1)["retry_count"] == 40 for i in range(8))
    assert len(syncs) < 8 * 40 / 2  # far fewer flushes than acknowledged writes
    store.close()


def test_readers_are_not_shown_a_write_before_it_is_on_disk(tmp_path, monkeypatch):
    store = Store.open(tmp_path / "state")
    store.tasks.create_many([make_task()])
    syncing, release = threading.Event(), threading.Event()
    real_sync = journal_module.os.fdatasync

    def held_sync(fd):
        syncing.set()
        release.wait(10)
        real_sync(fd)

    monkeypatch.setattr(journal_module.os, "fdatasync", held_sync)
    writer = threading.Thread(target=store.tasks.update, args=(1, {"status": 1}))
    writer.start()
    assert syncing.wait(5)
    seen = []
    reader = threading.Thread(target=lambda: seen.append(store.tasks.get(1)["status"]))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive() and seen == []  # still waiting for the flush, not showing it
    release.set()
    reader.join(5)
    writer.join(5)
    assert seen == [1]
    store.close()
