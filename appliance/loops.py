"""One small base for the hub's background loops: a named thread that runs a pass, waits, and runs
again until stopped (engine dispatch, adb supervisor, device tracking and health, TCP reconnects,
the systemd watchdog). A leaf like metrics.py: owns its thread and its wake and stop events;
`start`, `stop` and `wake` may be called from any thread, `run_once` runs on the loop's own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Literal

log = logging.getLogger(__name__)

OnError = Literal["continue", "stop"]


class BackgroundLoop:
    """Runs `run_once()` on its own thread until `stop()`.

    `run_once` returns how long to wait before the next pass: seconds, or None for "until woken"
    (the default calls `step`, or returns `interval`). `wake()` ends a wait early, and a wake
    during a pass makes the next one start at once. A pass that raises is logged with its
    traceback; the loop then waits `retry_after` seconds and goes on (`on_error="continue"`) or
    ends (`"stop"`). With `wait_first` the loop waits `interval` before its first pass.

    Use it by composition (`step=`, `interrupt=` callables) or by subclassing (override
    `run_once`, and `interrupt` when a pass blocks outside `wait()`, e.g. on a socket).
    """

    def __init__(self, name: str, step: Callable[[], float | None] | None = None, *,
                 interval: float | None = None, wait_first: bool = False,
                 on_error: OnError = "continue", retry_after: float = 1.0,
                 interrupt: Callable[[], None] | None = None, daemon: bool = True) -> None:
        self.name = name
        self.interval = interval
        self.wait_first = wait_first
        self.on_error: OnError = on_error
        self.retry_after = retry_after
        self.daemon = daemon
        self._step = step
        self._interrupt = interrupt
        # Set by stop(), cleared only by start(); a long pass polls it (`stopping.is_set()`).
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()   # start() against start()

    # --- any thread ---
    def start(self) -> bool:
        """Start the thread (again after a stop); True when this call started it. False while a
        thread still runs: this loop's, already started, or (logged) one a `stop()` that timed
        out left behind, which keeps `stopping` set and ends after its pass; start again then."""
        with self._lock:
            thread = self._thread
            if thread is not None and thread.is_alive():
                if self.stopping.is_set():
                    log.warning("thread %s is still stopping; not started again", self.name)
                return False
            self.stopping.clear()
            self._wake.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=self.daemon)
            self._thread.start()
            return True

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the loop to end, wake it, interrupt a blocked pass and join it for up to `timeout`
        seconds. True when the thread has ended or never ran (or this is the loop's own thread,
        which ends after its pass); False, logged, when it outlived the deadline."""
        self.stopping.set()
        self._wake.set()
        self.interrupt()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.warning("thread %s did not stop within %.1f s", self.name, timeout)
            return False
        return True

    def wake(self) -> None:
        """Run the next pass now (or right after the one under way)."""
        self._wake.set()

    def alive(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    # --- hooks (the loop's thread) ---
    def run_once(self) -> float | None:
        """One pass; returns the wait before the next (None: until woken or stopped)."""
        if self._step is not None:
            return self._step()
        return self.interval

    def interrupt(self) -> None:
        """Unblock a pass waiting outside `wait()` (stop(), the stopping thread)."""
        if self._interrupt is not None:
            self._interrupt()

    def wait(self, seconds: float | None) -> bool:
        """Sleep up to `seconds` (None: until woken); True when the loop is stopping."""
        self._wake.wait(seconds)
        return self.stopping.is_set()

    def _run(self) -> None:
        if self.wait_first and self.wait(self.interval):
            return
        while not self.stopping.is_set():
            self._wake.clear()
            try:
                delay = self.run_once()
            except Exception:   # the error policy: one failed pass never kills the thread silently
                if self.on_error == "stop":
                    log.exception("%s: a pass failed; the loop ends", self.name)
                    return
                log.exception("%s: a pass failed; trying again in %g s", self.name, self.retry_after)
                delay = self.retry_after
            if self.stopping.is_set():
                return
            self._wake.wait(delay)
