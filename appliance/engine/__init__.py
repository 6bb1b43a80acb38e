"""The engine: runs pending tasks on their phones by the rules of `dispatcher.tick`, one worker
thread per running task, and owns every running task until its outcome is written.

Threads: one loop thread ("engine-loop") calls tick, starts runs and supervises them (deadlines,
abandonment, phones gone); one worker thread per running task (runner.execute); request threads
call `wake` and `stop_task`; the tracker's thread calls `_on_phone`; the timekeeper's workers
ring the alarm. Shared state is under `_lock`.

Time is the timekeeper's (services/timekeeper.py, APScheduler): the loop never polls for it. It
sleeps until woken by new or changed work (`wake`), a phone's change (tracker), a task's end,
or its one alarm (`Timer.call_at`), set after each pass at the earliest moment something waits
for: a task's start_time or auto-retry delay (`_not_before` in the task document, so a restart
loses none, and a missed one starts at once), a phone's idle interval, a hold's end. While
tasks run it also looks at them every `SUPERVISE_EVERY` seconds (deadlines, stops ignored,
phones gone unannounced); an idle hub does nothing however many tasks wait. The loop stays a
plain thread, not scheduler jobs: APScheduler cannot cancel a running job, and its pool would
be drained by scripts that ignore cancellation, which we must abandon (docs/LIBRARIES.md, APScheduler).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from appliance.domain.tasks import RUNNING
from appliance.engine.dispatcher import Dispatcher
from appliance.engine.runner import Outcome, Run, execute
from appliance.loops import BackgroundLoop

if TYPE_CHECKING:
    from appliance.config import Config
    from appliance.devices.protocols import PhoneClient, PhoneTracker
    from appliance.scripts.protocols import ScriptRegistry
    from appliance.storage.protocols import TaskStoreHolder

log = logging.getLogger("appliance.engine")

# After a run ends because its phone went away, the phone gets no task until the tracker reports
# it back (or this many seconds pass): the tracker may not have noticed yet, and the next task
# would only fail too. docs/API.md, Execution rules: a pending task whose device is offline waits.
PHONE_HOLD = 30.0
# While tasks run, the loop looks at them this often (see the module docstring).
SUPERVISE_EVERY = 1.0
# A failed dispatch pass (the store refusing a read) is tried again after this many seconds.
RETRY_PASS = 1.0
# The alarm for a hold's end rings this much later: the tracker's own hold of the phone, set a
# moment after ours on another clock, must be over when we look.
HOLD_MARGIN = 0.2
ALARM = "engine-alarm"

_FALLBACK_LIMITS = {"Starter": 5, "Pro": 20, "Team": 50, "Business": 100}


class Timer(Protocol):
    """What the engine needs of the hub's timekeeper."""

    def call_at(self, name: str, when: datetime, callback: Callable[[], None]) -> None:
        """Call `callback` once at `when` (past: now), replacing the pending call `name`."""

    def cancel(self, name: str) -> None:
        """Drop the pending call `name`, if any."""


def _plan_limit(config: Config) -> Callable[[], int]:
    try:
        from appliance.domain.plans import PLANS
        limit = PLANS[config.plan].device_limit
    except KeyError:
        limit = _FALLBACK_LIMITS.get(config.plan, 20)
    return lambda: limit


def _earliest(*moments: datetime | None) -> datetime | None:
    return min((m for m in moments if m is not None), default=None)


def recover_interrupted(store: TaskStoreHolder, config: Config, clock: Callable[[], datetime],
                        skip: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Fail the tasks a previous run of the hub left running (docs/API.md, Execution rules: "interrupted by
    restart"). The engine does this at start; without an engine (adb off) the services do."""
    outcome = Outcome(store, config, clock, random.Random())
    failed = [task_id for task_id in store.tasks.ids_where(status=RUNNING)
              if task_id not in skip
              and outcome.fail_abandoned(task_id, None, "interrupted by restart")]
    if failed:
        log.warning("tasks %s were running when the hub stopped: failed", failed)
    return failed


class Engine:
    def __init__(self, config: Config, store: TaskStoreHolder, registry: ScriptRegistry,
                 clock: Callable[[], datetime], rng: random.Random | None = None, *,
                 timer: Timer, client: PhoneClient, tracker: PhoneTracker,
                 device_limit: Callable[[], int] | None = None):
        self.config = config
        self.timer = timer
        self.store = store
        self.registry = registry
        self.clock = clock
        self.rng = rng or random.Random()
        self.client = client
        self.tracker = tracker   # owns the one quarantine (and shows our holds)
        self._held: dict[str, float] = {}        # serial -> monotonic end of a phone-gone hold
        # The phones a dispatch pass looks at: the usable ones, so that tasks waiting for absent
        # phones cost nothing.
        self.dispatcher = Dispatcher(store.tasks, self._usable, device_limit or _plan_limit(config),
                                     self.rng, tracker.usable_serials,
                                     lambda: config.random_order)
        self.outcome = Outcome(store, config, clock, random.Random(self.rng.random()),
                               on_requeue=self.dispatcher.invalidate)
        self._lock = threading.RLock()
        self._runs: dict[int, Run] = {}          # task id -> run, while the engine owns it
        self._loop = BackgroundLoop("engine-loop", self._pass, retry_after=RETRY_PASS)
        self._alarm_at: datetime | None = None   # when the alarm rings (loop thread's)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Fail tasks a previous run left running, then start dispatching."""
        self.recover()
        self.tracker.subscribe(self._on_phone)
        self._loop.start()

    def recover(self) -> list[int]:
        """docs/API.md, Execution rules: tasks running when the hub stopped end "interrupted by restart"."""
        with self._lock:
            ours = set(self._runs)
        return recover_interrupted(self.store, self.config, self.clock, skip=ours)

    def stop(self, timeout: float | None = None) -> None:
        """Graceful stop: no new starts; running tasks are cancelled and end failed
        "interrupted by shutdown" (issue 5; a hub killed without this stop leaves its running
        tasks to the next start, which fails them "interrupted by restart")."""
        self._loop.stop(timeout=5)
        self.timer.cancel(ALARM)
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.cancel_with("interrupted by shutdown", retryable=False)
        end = time.monotonic() + (self.config.stop_grace if timeout is None else timeout)
        for run in runs:
            if not run.done.wait(max(0.0, end - time.monotonic())):
                self._abandon(run, quarantine=False)
            elif run.thread is not None:
                run.thread.join(1.0)   # its outcome is written; let it leave before the store closes

    def wake(self) -> None:
        """New, retried or changed tasks in the store (TaskService): dispatch now (the queues
        are the store's; what was read of pending tasks is dropped)."""
        self.dispatcher.invalidate()
        self._loop.wake()

    # --- stopping one task ------------------------------------------------------------------

    def stop_task(self, task_id: int, remark: str = "stopped", timeout: float | None = None) -> bool:
        """Cancel a running task and wait until it has ended failed with `remark`.

        True if the engine was running it and it has now ended (a script that ignores the stop
        past `stop_grace` is abandoned and its phone quarantined); False if the engine was not
        running it (the caller then changes the stored state itself).
        """
        return task_id in self.stop_tasks([task_id], remark, timeout)

    def stop_tasks(self, task_ids: Iterable[int], remark: str = "stopped",
                   timeout: float | None = None) -> set[int]:
        """`stop_task` for many at once: every run is cancelled first, then all share one
        bounded wait (a batch of scripts that ignore the stop costs one `stop_grace`, not one
        each). Returns the ids whose runs had begun and have now ended."""
        wanted = set(task_ids)
        with self._lock:
            runs = [run for task_id, run in self._runs.items() if task_id in wanted]
        for run in runs:
            run.cancel_with(remark, retryable=False)
            run.retryable = False   # a user's stop also wins over an earlier timeout or phone loss
        end = time.monotonic() + (self.config.stop_grace if timeout is None else timeout)
        for run in runs:
            if not run.done.wait(max(0.0, end - time.monotonic())):
                self._abandon(run)
        # A run that never began left its task pending in the store: the caller stops it there.
        return {run.task_id for run in runs if run.began}

    def running(self) -> dict[int, str]:
        """Task id -> serial of the runs the engine owns now."""
        with self._lock:
            return {i: r.serial for i, r in self._runs.items()}

    # --- the loop -----------------------------------------------------------------------------

    def _pass(self) -> float | None:
        """One pass of the loop thread; returns the wait before the next (None: until woken)."""
        wait = None
        try:
            self._supervise()
            decision = self.dispatcher.tick(self.clock())
            for task in decision.starts:
                self._start(task)
            self._set_alarm(_earliest(decision.next_due, self._hold_end()))
        except Exception:   # the store or the timekeeper refused: the loop never dies
            log.exception("dispatch pass failed; trying again in %g s", RETRY_PASS)
            wait = RETRY_PASS
        with self._lock:
            if self._runs:
                wait = SUPERVISE_EVERY if wait is None else min(wait, SUPERVISE_EVERY)
        return wait

    def _set_alarm(self, when: datetime | None) -> None:
        """The one alarm: at `when`, replacing the last (None: none is needed)."""
        if when == self._alarm_at:
            return
        self._alarm_at = when
        if when is None:
            self.timer.cancel(ALARM)
        else:
            self.timer.call_at(ALARM, when, self._ring)

    def _ring(self) -> None:
        """The alarm (a timekeeper worker): the moment a waiting task or phone waited for."""
        self._alarm_at = None
        self._loop.wake()

    def _hold_end(self) -> datetime | None:
        """When the first of our phone-gone holds still running ends, on the dispatcher's clock
        (ended ones are dropped here too: a held phone the tracker does not offer to the
        dispatcher is never asked about, and would ring the alarm again and again)."""
        now = time.monotonic()
        ends = []
        for serial, end in list(self._held.items()):
            if end <= now:
                self._held.pop(serial, None)
            else:
                ends.append(end)
        if not ends:
            return None
        return self.clock() + timedelta(seconds=min(ends) - now + HOLD_MARGIN)

    def _start(self, task: dict[str, Any]) -> None:
        """Hand `task` to a new worker thread. The worker writes pending -> running itself, so
        the loop never waits on the store and concurrent starts share its group commits."""
        with self._lock:
            if self._loop.stopping.is_set():
                return
            run = Run(task, uuid.uuid4().hex, time.monotonic() + self.config.task_timeout)
            self._runs[run.task_id] = run
            self.dispatcher.started(run.serial, run.task_id)
        # One-shot: a worker runs one task and ends (not a loop, so no BackgroundLoop).
        run.thread = threading.Thread(
            target=execute, name=f"task-{run.task_id}", daemon=True, args=(run,),
            kwargs={"registry": self.registry, "client": self.client, "store": self.store,
                    "config": self.config, "clock": self.clock,
                    "rng": random.Random(self.rng.random()), "outcome": self.outcome,
                    "on_end": self._ended})
        run.thread.start()

    def _ended(self, run: Run) -> None:
        if run.phone_gone:
            # The tracker's hold shows in GET /device; ours is read without its lock.
            self.tracker.hold(run.serial, f"task {run.task_id} lost the phone", PHONE_HOLD)
            self._held[run.serial] = time.monotonic() + PHONE_HOLD
        with self._lock:
            if self._runs.get(run.task_id) is run:
                del self._runs[run.task_id]
                # A run that never began (stopped or deleted first) did not use the phone.
                self.dispatcher.ended(run.serial, run.task_id,
                                      self.clock() if run.began else None)
        self._loop.wake()

    def _supervise(self) -> None:
        """Deadlines, scripts that ignore a stop, and phones that went away (a backstop for
        tracker events and adb errors)."""
        now = time.monotonic()
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.done.is_set():
                continue
            if run.cancelled_at is None:
                if now > run.deadline:
                    run.cancel_with(f"timed out after {self.config.task_timeout:g} s")
                elif not self._present(run.serial):
                    run.cancel_with(f"phone {run.serial} went offline during the task",
                                    phone=True)
            elif now - run.cancelled_at > self.config.stop_grace:
                self._abandon(run)

    def _abandon(self, run: Run, quarantine: bool = True) -> None:
        """The script ignores its stop: write its end ourselves, free the slot, and keep the
        phone out of use until it reconnects (the stuck thread may still be talking to it)."""
        with self._lock:
            if run.done.is_set() or run.abandoned:
                return
            run.abandoned = True
            reason = run.reason or "stopped"
            if quarantine:
                self._quarantine(run.serial, f"task {run.task_id} did not stop within "
                                             f"{self.config.stop_grace:g} s")
            self.outcome.fail_abandoned(run.task_id, run.token, reason)
            log.error("task %s on %s ignored its stop; abandoned", run.task_id, run.serial)
            if self._runs.get(run.task_id) is run:
                del self._runs[run.task_id]
                self.dispatcher.ended(run.serial, run.task_id, self.clock())
        run.done.set()
        self._loop.wake()

    # --- phones -------------------------------------------------------------------------------

    def _quarantine(self, serial: str, reason: str) -> None:
        """The tracker's quarantine (the only one): it frees the phone when it reconnects."""
        self.tracker.quarantine(serial, reason)

    def _usable(self, serial: str) -> bool:
        held = self._held.get(serial)
        if held is not None:
            if time.monotonic() < held:
                return False
            self._held.pop(serial, None)
        return self.tracker.usable(serial)

    def _present(self, serial: str) -> bool:
        info = self.tracker.get(serial)
        # "unknown": tracking broke and is re-syncing (adb server restart, a slow device list);
        # the phone is not known to be gone, and a script that really lost it gets an adb error.
        return info is not None and info.state in ("device", "unknown")

    def _on_phone(self, serial: str, state: str) -> None:
        """Tracker callback: a phone that leaves fails its running task; one that comes back
        is freed of its holds (the tracker lifts its quarantine) and gets its waiting tasks."""
        if state == "device":
            self._held.pop(serial, None)
            self._loop.wake()
            return
        if state == "unknown":   # the tracker lost track of every phone for a moment: see _present
            return
        with self._lock:
            runs = [r for r in self._runs.values() if r.serial == serial]
        for run in runs:
            run.cancel_with(f"phone {serial} went {state or 'offline'} during the task",
                            phone=True)
