"""Retention: old finished tasks move to a gzip archive, readable by read_archive, and leave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from appliance.storage import Store, read_archive
from appliance.storage.archive import archive_files
from tests.fixtures import make_task

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def test_old_finished_tasks_are_archived_with_their_logs(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([
            make_task(status=2, finished_at=ago(40)),           # 1: archived
            make_task(status=3, finished_at=ago(31), remark="x"),  # 2: archived
            make_task(status=2, finished_at=ago(5)),            # 3: too recent
            make_task(status=0),                                # 4: not finished
            make_task(status=1, started_at=ago(50)),            # 5: running
            make_task(status=3, finished_at=None),              # 6: no finish time
        ])
        store.tasks.append_log(2, {"ts": ago(31), "level": "error", "message": "boom"}, 10)
        assert store.tasks.archive_finished(NOW - timedelta(days=30)) == 2
        assert store.tasks.ids_where() == [3, 4, 5, 6]
        assert store.tasks.stats() == {"total": 4, "pending": 1, "running": 1, "completed": 1, "failed": 1}
        assert store.tasks.archive_finished(NOW - timedelta(days=30)) == 0
        assert store.check() == []
    (path,) = archive_files(state)
    rows = list(read_archive(path))
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[1]["remark"] == "x" and rows[1]["logs"][0]["message"] == "boom"
    with Store.open(state) as store:  # gone for good, ids still not reused
        assert store.tasks.get(1) is None and store.tasks.logs(2) == []
        assert store.tasks.create_many([make_task()])[0]["id"] == 7


def test_naive_cutoff_is_taken_as_utc(tmp_path):
    with Store.open(tmp_path / "state") as store:
        store.tasks.create_many([make_task(status=2, finished_at="2026-01-01T10:00:00+02:00")])
        assert store.tasks.archive_finished(datetime(2026, 1, 1, 7, 59)) == 0
        assert store.tasks.archive_finished(datetime(2026, 1, 1, 8, 1)) == 1


def test_archiving_goes_in_batches_of_one_file_each(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([make_task(status=2 + n % 2, finished_at=ago(60 + n)) for n in range(5)])
        store.tasks.create_many([make_task(status=2, finished_at=ago(1))])
        assert store.tasks.archive_finished(NOW - timedelta(days=30), batch=2) == 5
        assert store.tasks.ids_where() == [6]
    files = archive_files(state)
    assert len(files) == 3
    assert sorted(row["id"] for path in files for row in read_archive(path)) == [1, 2, 3, 4, 5]
