"""Retention: finished tasks older than `retention_days` leave the live table for the archive,
and archive files older than `archive_keep_days` are deleted.

The timekeeper runs a pass at start and then every few hours, as a job on one of its workers
(`start` adds the job, `stop` drops it); a pass is `store.tasks.archive_finished(cutoff)`, which
works in short batches under the store lock, so requests and the engine are never held up for
long, then `prune_archives`, which touches only files. `appliance db archives` reads the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from appliance.storage.archive import prune_archives

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.services.timekeeper import Timekeeper
    from appliance.storage import Store

log = logging.getLogger("appliance.housekeeping")

PASS_INTERVAL = 6 * 3600.0  # seconds between passes; tasks age in days, so hours are plenty
JOB = "housekeeping"


class Housekeeping:
    """`timer`: the hub's Timekeeper, which runs the passes once started (a test that runs a
    pass itself needs none)."""

    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime],
                 timer: Timekeeper | None = None, interval: float = PASS_INTERVAL):
        self.config, self.store, self.clock, self.interval = config, store, clock, interval
        self.timer = timer

    def run_once(self) -> int:
        """Archive what is due now, then prune old archive files; returns how many tasks moved
        (0 when retention is off)."""
        moved = 0
        if self.config.retention_days > 0:
            cutoff = self.clock() - timedelta(days=self.config.retention_days)
            moved = self.store.tasks.archive_finished(cutoff)
            if moved:
                log.info("archived %d tasks finished before %s", moved, cutoff.isoformat())
        self.prune()
        return moved

    def prune(self) -> int:
        """Delete archive files written more than `archive_keep_days` ago (0: keep them all);
        returns how many went."""
        if self.config.archive_keep_days <= 0:
            return 0
        cutoff = self.clock() - timedelta(days=self.config.archive_keep_days)
        gone = prune_archives(self.store.state_dir, cutoff)
        if gone:
            log.info("deleted %d archive files written before %s (archive_keep_days = %d)",
                     len(gone), cutoff.isoformat(), self.config.archive_keep_days)
        return len(gone)

    def start(self) -> None:
        if self.timer is not None:
            self.timer.every(JOB, self.interval, self._pass)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel(JOB)

    def _pass(self) -> None:
        try:
            self.run_once()
        except Exception:  # a job that never fails: log it and try again next pass
            log.exception("retention pass failed; the tasks and archive files stay as they are")
