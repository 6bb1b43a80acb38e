"""Time, owned by APScheduler (3.x): one BackgroundScheduler in the hub's time zone holds every
timed wake-up of the hub: the engine's alarm (start_time, auto-retry delays, idle intervals),
recurring schedules and housekeeping. Nothing else in the hub waits for a moment to come.

Job stores: "transient" (memory; rebuilt at each start: the engine's alarm, housekeeping) and
"persistent" (services/jobstore.py on the hub's store: schedule jobs and their next run times).

Misfire policy. A persistent job whose run time passed while the hub was down fires ONCE at
start if its latest missed run time is at most `schedule_grace` seconds old (earlier missed
ones coalesce into it); otherwise it is skipped with a warning naming the job and the missed
time, and runs next at its next time (`catch_up`, decided with the hub's clock). While the hub
runs, a run started late by a busy or suspended box obeys the same grace (APScheduler's
misfire_grace_time, coalesced). The engine's alarm has no grace: late, it still wakes the engine.

Threads: the scheduler's thread decides, a small pool of workers runs the jobs; any thread may
call `call_at`, `cancel`, `put`, `remove`; `start` and `stop` come from the main thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import tzlocal
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from appliance.domain.weekly import WeeklyTimes
from appliance.services.jobstore import HubJobStore
from appliance.storage.jobs import JobRepo

log = logging.getLogger("appliance.timekeeper")

TRANSIENT, PERSISTENT = "transient", "persistent"
# Jobs are short (an alarm sets an Event; a firing creates tasks) except housekeeping's pass;
# four workers keep a long pass from holding up the others.
WORKERS = 4


def hub_zone(setting: str) -> ZoneInfo:
    """The `timezone` setting's zone; "" is the box's own (tzlocal, which APScheduler uses)."""
    if setting:
        return ZoneInfo(setting)
    local = tzlocal.get_localzone()
    return local if isinstance(local, ZoneInfo) and local.key else ZoneInfo("UTC")


@dataclass(frozen=True)
class CatchUp:
    missed: datetime          # the latest run time that passed while the hub was down
    fire: bool                # run once now (it is within the grace), else skipped
    next_run_time: datetime   # when the job runs next (`now` when it fires now)


def catch_up(trigger: BaseTrigger, next_run_time: datetime | None, now: datetime,
             grace: float) -> CatchUp | None:
    """The misfire policy for a job stored with `next_run_time`, at start `now`: None when no
    run time passed; else the latest missed run time and whether it fires now."""
    if next_run_time is None or next_run_time > now:
        return None
    # Every firing of a weekly trigger recurs within a week: look no further back than that.
    floor = now - timedelta(days=8)
    moment = next_run_time if next_run_time >= floor else trigger.get_next_fire_time(None, floor)
    missed = next_run_time
    while moment is not None and moment <= now:
        missed, moment = moment, trigger.get_next_fire_time(moment, now)
    late = now.astimezone(UTC) - missed.astimezone(UTC)
    if late.total_seconds() <= grace:
        return CatchUp(missed, True, now)
    return CatchUp(missed, False, moment)


class Timekeeper:
    """The hub's scheduler. `persist(kind, func, reconcile)` before `start()` for each kind of
    persistent job; `call_at` and `every` for transient ones."""

    def __init__(self, zone: ZoneInfo, grace: int, clock: Callable[[], datetime],
                 jobs: JobRepo | None = None):
        self.zone, self.grace, self.clock = zone, grace, clock
        stores: dict[str, BaseJobStore] = {TRANSIENT: MemoryJobStore()}
        self._persistent = None if jobs is None else HubJobStore(jobs, zone)
        self._kinds: dict[str, Callable[..., None]] = {}
        if self._persistent is not None:
            stores[PERSISTENT] = self._persistent
            self._kinds = self._persistent.kinds
        self._reconcilers: list[Callable[[], None]] = []
        self.scheduler = BackgroundScheduler(
            timezone=zone, jobstores=stores, executors={"default": ThreadPoolExecutor(WORKERS)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace})
        # Its INFO lines would log every engine alarm; warnings (a missed run) still show.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Load the persistent jobs, let each kind's owner bring them in line with its records
        (`reconcile`), apply the misfire policy, then run."""
        self.scheduler.start(paused=True)
        for reconcile in self._reconcilers:
            reconcile()
        if self._persistent is not None:
            now = self.clock()
            for job in self.scheduler.get_jobs(jobstore=PERSISTENT):
                decision = catch_up(job.trigger, job.next_run_time, now, self.grace)
                if decision is None:
                    continue
                if decision.fire:
                    log.info("%s: its run at %s passed while the hub was down; running it now "
                             "(within the %d s grace)", job.name, _iso(decision.missed), self.grace)
                else:
                    log.warning("%s: its run at %s passed while the hub was down, more than "
                                "%d s ago: skipped; next run at %s", job.name,
                                _iso(decision.missed), self.grace, _iso(decision.next_run_time))
                self.scheduler.modify_job(job.id, PERSISTENT, next_run_time=decision.next_run_time)
        self.scheduler.resume()

    def stop(self) -> None:
        """Stop deciding, and wait for the jobs running now (a firing, a housekeeping pass)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    # --- transient jobs -----------------------------------------------------------------------

    def call_at(self, name: str, when: datetime, callback: Callable[[], None]) -> None:
        """Call `callback` once at `when` (a past moment: now), replacing the pending call of
        that name."""
        self.scheduler.add_job(callback, DateTrigger(when), id=name, name=name,
                               jobstore=TRANSIENT, replace_existing=True, misfire_grace_time=None)

    def cancel(self, name: str) -> None:
        """Drop the pending call or repeat of that name, if any."""
        try:
            self.scheduler.remove_job(name, TRANSIENT)
        except JobLookupError:
            pass

    def every(self, name: str, seconds: float, callback: Callable[[], None]) -> None:
        """Call `callback` now and then every `seconds` (late runs coalesce into one)."""
        self.scheduler.add_job(callback, IntervalTrigger(seconds=seconds, timezone=self.zone),
                               id=name, name=name, jobstore=TRANSIENT, replace_existing=True,
                               next_run_time=datetime.now(self.zone), misfire_grace_time=None)

    # --- persistent jobs ----------------------------------------------------------------------

    def persist(self, kind: str, func: Callable[..., None],
                reconcile: Callable[[], None]) -> None:
        """Jobs of `kind` call `func(*args)` and survive restarts; at each start, before any
        runs, `reconcile()` puts and removes them to match their owner's records."""
        if self._persistent is None:
            raise RuntimeError("this timekeeper has no persistent job store")
        self._kinds[kind] = func
        self._reconcilers.append(reconcile)

    def put(self, job_id: str, kind: str, args: list[Any], trigger: WeeklyTimes, name: str) -> None:
        """Create or change the persistent job `job_id`. Its next run time is kept while its
        trigger stays the same, and counted afresh from now when it changes. Before `start`
        this does nothing: `reconcile` does it at start."""
        if not self.scheduler.running:
            return
        job = self.scheduler.get_job(job_id, PERSISTENT)
        if job is not None and job.trigger == trigger:
            if (job.name, list(job.args)) != (name, args):
                self.scheduler.modify_job(job_id, PERSISTENT, name=name, args=args)
            return
        self.scheduler.add_job(self._kinds[kind], trigger, args=args, id=job_id,
                               name=name, jobstore=PERSISTENT, replace_existing=True)

    def remove(self, job_id: str) -> None:
        """Drop the persistent job, if any (before `start`: nothing; see `put`)."""
        if self.scheduler.running:
            try:
                self.scheduler.remove_job(job_id, PERSISTENT)
            except JobLookupError:
                pass

    def persistent_ids(self) -> list[str]:
        return [job.id for job in self.scheduler.get_jobs(jobstore=PERSISTENT)]

    def next_run_time(self, job_id: str) -> datetime | None:
        """When the persistent job runs next (None: no such job, or before `start`)."""
        job = self.scheduler.get_job(job_id, PERSISTENT) if self.scheduler.running else None
        return None if job is None else job.next_run_time


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
