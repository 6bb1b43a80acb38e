"""Retention: finished tasks older than `retention_days` leave the live table for the archive.

One daemon thread ("housekeeping") runs a pass at start and then every few hours; a pass is
`store.tasks.archive_finished(cutoff)`, which works in short batches under the store lock, so
requests and the engine are never held up for long. `appliance db archives` reads the result.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any, Callable

log = logging.getLogger("appliance.housekeeping")

PASS_INTERVAL = 6 * 3600.0  # seconds between passes; tasks age in days, so hours are plenty


class Housekeeping:
    def __init__(self, config: Any, store: Any, clock: Callable[[], datetime],
                 interval: float = PASS_INTERVAL):
        self.config, self.store, self.clock, self.interval = config, store, clock, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Archive what is due now; returns how many tasks moved (0 when retention is off)."""
        if self.config.retention_days <= 0:
            return 0
        cutoff = self.clock() - timedelta(days=self.config.retention_days)
        moved = self.store.tasks.archive_finished(cutoff)
        if moved:
            log.info("archived %d tasks finished before %s", moved, cutoff.isoformat())
        return moved

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # a loop that never dies: log it and try again next pass
                log.exception("retention pass failed; the tasks stay in the live table")
            self._stop.wait(self.interval)
