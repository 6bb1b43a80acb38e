"""Archive files older than `archive_keep_days` are deleted by housekeeping, by the time in their
name (a copied or restored file has a new mtime), and the pass says how many went."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.config import load_config
from appliance.services.housekeeping import Housekeeping
from appliance.storage import Store, read_archive
from appliance.storage.archive import archive_files, write_archive

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def archive_named(state: Path, written: datetime, mtime: datetime) -> Path:
    made = write_archive(state / "archive", ['{"id": 1}'])
    path = made.with_name(f"tasks-{written:%Y%m%dT%H%M%S%f}Z.jsonl.gz")
    made.rename(path)
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def housekeeping(state: Path, store, **settings) -> Housekeeping:
    config = load_config(env={}, overrides={"state_dir": str(state), **settings})
    return Housekeeping(config, store, clock=lambda: NOW.astimezone())


def test_archive_files_older_than_archive_keep_days_are_deleted_by_their_name(tmp_path, caplog):
    state = tmp_path / "state"
    old = archive_named(state, NOW - timedelta(days=400), mtime=NOW)              # new mtime
    recent = archive_named(state, NOW - timedelta(days=10), mtime=NOW - timedelta(days=900))
    edge = archive_named(state, NOW - timedelta(days=364), mtime=NOW)
    stray = state / "archive" / "tasks-copy.jsonl.gz"   # no time in its name: never deleted
    stray.write_bytes(recent.read_bytes())
    with Store.open(state) as store, caplog.at_level(logging.INFO, "appliance.housekeeping"):
        assert housekeeping(state, store, archive_keep_days=365).run_once() == 0
        assert "deleted 1 archive files written before" in caplog.text
        assert housekeeping(state, store, archive_keep_days=365).prune() == 0
    assert archive_files(state) == sorted([recent, edge, stray])
    assert not old.exists()
    assert read_archive(recent) == [{"id": 1}]


def test_archive_keep_days_zero_keeps_archives_forever(tmp_path):
    state = tmp_path / "state"
    ancient = archive_named(state, datetime(2001, 1, 1, tzinfo=UTC), mtime=NOW)
    with Store.open(state) as store:
        assert housekeeping(state, store, archive_keep_days=0).prune() == 0
        # Retention off does not switch pruning off: they are two settings.
        assert housekeeping(state, store, retention_days=0, archive_keep_days=30).prune() == 1
    assert not ancient.exists()


def test_a_pass_archives_then_prunes_what_it_archived_long_ago(tmp_path):
    state = tmp_path / "state"
    with Store.open(state) as store:
        store.tasks.create_many([{"serial": "A1", "script_name": "account_warmup", "status": 2,
                                  "finished_at": (NOW - timedelta(days=40)).isoformat()}])
        assert housekeeping(state, store, retention_days=30).run_once() == 1
        (fresh,) = archive_files(state)   # written now (real time): kept for a year
        later = Housekeeping(load_config(env={}, overrides={"state_dir": str(state)}), store,
                             clock=lambda: datetime.now(UTC) + timedelta(days=366))
        assert later.run_once() == 0 and not fresh.exists()
