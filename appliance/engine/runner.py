"""The runner: one task's script on its own worker thread, and the writing of its outcome.

`Run` is the engine's handle on a running task (the loop thread and request threads read it and
set its cancel flag); `execute` is the body of the worker thread, which alone writes the outcome.
A late outcome (after the engine abandoned the run) is discarded by a compare-and-set on `_run`.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.devices.protocols import PhoneClient
    from appliance.scripts.protocols import ScriptRegistry
    from appliance.storage.protocols import TaskStoreHolder

from appliance.domain.tasks import FAILED, PENDING, RUNNING, iso, transition
from appliance.errors import (
    AdbServerDown,
    ApplianceError,
    DeviceError,
    DeviceLost,
    DeviceNotFound,
    DeviceOffline,
    DeviceTimeout,
    DeviceUnauthorized,
)
from appliance.metrics import TASK_RUN_SECONDS, task_started
from appliance.scripts.context import ScriptContext, TaskCancelled

log = logging.getLogger("appliance.engine")


PHONE_GONE = (DeviceLost, DeviceOffline, DeviceNotFound, DeviceUnauthorized, AdbServerDown)


class Run:
    """A running task. `cancel_with` is idempotent: the first reason wins (it becomes the remark)."""

    def __init__(self, task: dict[str, Any], token: str, deadline: float):
        self.task = task
        self.task_id: int = task["id"]
        self.serial: str = task["serial"]
        self.token = token
        self.deadline = deadline              # time.monotonic()
        self.cancel = threading.Event()
        self.done = threading.Event()         # set once the outcome is written (or abandoned)
        self.reason: str | None = None
        self.retryable = True                 # auto-retry may requeue it (not after a user stop)
        self.cancelled_at: float | None = None
        self.reason_is_phone = False          # cancelled because the phone left
        self.abandoned = False
        self.began = False                    # its pending -> running write succeeded
        self.phone_gone = False               # it ended because its phone went away
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def cancel_with(self, reason: str, retryable: bool = True, phone: bool = False) -> None:
        with self._lock:
            if self.cancel.is_set():
                return
            self.reason, self.retryable, self.reason_is_phone = reason, retryable, phone
            self.cancelled_at = time.monotonic()
            self.cancel.set()


def remark_for(exc: BaseException, run: Run, script_name: str) -> str:
    """The failure remark: the stop reason if the task was cancelled, else what went wrong."""
    if run.cancel.is_set() and run.reason:
        return run.reason
    serial = run.serial
    if isinstance(exc, TaskCancelled):
        return exc.reason
    if isinstance(exc, (DeviceLost, DeviceOffline, DeviceNotFound)) or run.phone_gone:
        detail = exc.message if isinstance(exc, ApplianceError) else str(exc)
        return f"phone {serial} was lost during the task: {detail}"
    if isinstance(exc, DeviceUnauthorized):
        return f"phone {serial} does not accept this hub's adb key: {exc.message}"
    if isinstance(exc, AdbServerDown):
        return f"the adb server stopped answering while running on phone {serial}"
    if isinstance(exc, DeviceTimeout):
        return f"phone {serial} did not answer in time: {exc.message}"
    if isinstance(exc, DeviceError):
        return f"phone {serial}: {exc.message}"
    if isinstance(exc, ApplianceError):
        return exc.message
    if isinstance(exc, OSError) and exc.strerror:
        # str(OSError) holds the hub's own paths; callers of the API only need the file's name.
        which = f" {os.path.basename(str(exc.filename))}" if exc.filename else ""
        return f"script {script_name} failed: a file on the hub{which} could not be used " \
               f"({exc.strerror}); check the file and retry"
    text = str(exc) or type(exc).__name__
    return f"script {script_name} failed: {type(exc).__name__}: {text}"[:500]


class Outcome:
    """Writes a run's end into the store under compare-and-set, with auto-retry per config."""

    def __init__(self, store: TaskStoreHolder, config: Config, clock: Callable[[], datetime],
                 rng: random.Random,
                 on_requeue: Callable[[], None] = lambda: None):
        self.store, self.config, self.clock, self.rng = store, config, clock, rng
        self.on_requeue = on_requeue   # an auto-retry made a task pending again
        self._rng_lock = threading.Lock()

    def begin(self, run: Run) -> bool:
        """Pending -> running under compare-and-set, stamped with the run's token. False if the
        task was stopped, deleted or changed since the dispatcher read it, or the run cancelled."""
        if run.cancel.is_set():
            return False
        now = self.clock()

        def change(current: dict[str, Any]) -> dict[str, Any] | None:
            if current["status"] != PENDING or run.cancel.is_set():
                return None
            # _started_ts: sub-second order of runs on a phone, for tests and bench (not API).
            return {**transition(current, "start", now), "_run": run.token,
                    "_started_ts": time.time()}

        doc = self.store.tasks.update(run.task_id, change)
        if doc is None or doc["status"] != RUNNING or doc.get("_run") != run.token:
            return False
        run.task, run.began = doc, True
        task_started(doc, now)
        return True

    def write(self, run: Run, ok: bool, remark: str,
              extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """`extra`: more private fields to store with the outcome (e.g. `_ui_dump`)."""
        now = self.clock()
        with self._rng_lock:
            delay = self.rng.uniform(self.config.retry_delay_min, self.config.retry_delay_max)

        def change(current: dict[str, Any]) -> dict[str, Any] | None:
            if current["status"] != RUNNING or current.get("_run") != run.token:
                return None   # abandoned or stopped from outside: someone else wrote the end
            if ok:
                return {**transition(current, "complete", now, remark), "_ended_ts": time.time()}
            changes = {**transition(current, "fail", now, remark), "_ended_ts": time.time(),
                       **(extra or {})}
            retries = int(current.get("retry_count") or 0)
            if (self.config.auto_retry and run.retryable
                    and retries < self.config.max_retry_count):
                changes.update(
                    status=PENDING, retry_count=retries + 1, started_at=None, finished_at=None,
                    _not_before=iso(now + timedelta(seconds=delay)),
                    remark=f"auto-retry {retries + 1} of {self.config.max_retry_count} in "
                           f"{delay:.0f} s after: {remark}")
            return changes

        doc = self.store.tasks.update(run.task_id, change)
        if doc is not None and doc["status"] == PENDING:
            self.on_requeue()
        return doc

    def fail_abandoned(self, task_id: int, token: str | None, remark: str) -> dict[str, Any] | None:
        """Fail a task whose script will not end (or that a restart interrupted)."""
        now = self.clock()

        def change(current: dict[str, Any]) -> dict[str, Any] | None:
            if current["status"] != RUNNING or (token and current.get("_run") != token):
                return None
            return {**transition(current, "fail", now, remark), "_ended_ts": time.time()}

        return self.store.tasks.update(task_id, change)


def _answers(client: PhoneClient, serial: str) -> bool:
    """After an adb error: is the phone still there? (Tells a lost phone from a failed command.)"""
    try:
        client.shell(serial, "true", timeout=3)
        return True
    except Exception:  # noqa: BLE001 a probe: whatever failed, the phone did not answer
        return False


def execute(run: Run, *, registry: ScriptRegistry, client: PhoneClient, store: TaskStoreHolder,
            config: Config,
            clock: Callable[[], datetime], rng: random.Random, outcome: Outcome,
            on_end: Callable[[Run], None]) -> None:
    """Body of a task's worker thread: run the script, write the outcome, free the phone."""
    task = run.task
    name = task.get("script_name", "?")

    def write_log(level: str, message: str) -> None:
        if run.abandoned:
            # The task's end is written and it may run again (retried): a stuck script's late
            # lines would land in the new run's log, or hit a store closed at shutdown.
            return
        try:
            store.tasks.append_log(run.task_id, {"ts": iso(clock()), "level": level,
                                                 "message": message}, config.log_lines_per_task)
        except Exception:   # a log line must never fail the task
            log.exception("task %s: could not store a log line", run.task_id)

    ok, remark = False, ""
    try:
        began = outcome.begin(run)
    except Exception:
        log.exception("task %s: could not mark it running", run.task_id)
        began = False
    if not began:
        _end(run, on_end)
        return
    task = run.task
    started = time.monotonic()
    try:
        script = registry.get(name)
        script_config = script.validate(task.get("script_config") or {})
        ctx = ScriptContext(task=task, config=script_config, client=client, log=write_log,
                            cancel=run.cancel, deadline=run.deadline, rng=rng,
                            reason=lambda: run.reason or "stopped",
                            shell_timeout=config.adb_timeout)
        result = script.run(ctx)
        if run.cancel.is_set():
            raise TaskCancelled(run.reason or "stopped")
        # No "started"/"completed" lines: started_at, finished_at and the remark say that, and
        # each line is a durable write (bench/dispatch.py). Failures do get a line.
        ok, remark = True, result or ""
    except BaseException as exc:  # noqa: BLE001 - loops never die: every failure is a remark
        run.phone_gone = (isinstance(exc, PHONE_GONE) or run.reason_is_phone
                          or (isinstance(exc, DeviceError) and not run.cancel.is_set()
                              and not _answers(client, run.serial)))
        remark = remark_for(exc, run, name)
        if not isinstance(exc, (TaskCancelled, ApplianceError)) and not run.cancel.is_set():
            log.error("task %s (%s on %s) crashed:\n%s", run.task_id, name, run.serial,
                      "".join(traceback.format_exception(exc)))
        write_log("error", f"failed: {remark}")
    finally:
        try:
            if not run.abandoned:
                outcome.write(run, ok, remark)
                TASK_RUN_SECONDS.labels(name, "completed" if ok else "failed").observe(
                    time.monotonic() - started)
        except Exception:
            log.exception("task %s: could not store its outcome", run.task_id)
        _end(run, on_end)


def _end(run: Run, on_end: Callable[[Run], None]) -> None:
    """The engine lets go of the run first, then its waiters wake: whoever waited for a stop
    sees the phone free and the run gone from `Engine.running()`."""
    try:
        on_end(run)
    finally:
        run.done.set()


__all__ = ["FAILED", "Outcome", "Run", "execute", "remark_for"]
