"""The scheduler's persistent job store on the hub's store (storage/jobs.py): schedule jobs and
their next run times survive a restart, and storage stays the only package that touches tinydb.

A job is kept as JSON, not pickled: its kind (a name the hub registered for the job's function,
see `kinds`), args, name, weekly trigger and next run time, all readable in `appliance db`
dumps and independent of APScheduler's pickle format. An in-memory index (APScheduler's own
MemoryJobStore) answers the scheduler's reads; every change is written to the store first.
Threads: the scheduler's thread and whichever thread adds, changes or removes a job, always
under the scheduler's job store lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.jobstores.base import BaseJobStore, ConflictingIdError, JobLookupError, TransientJobError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import BaseScheduler

from appliance.domain.weekly import WeeklyTimes
from appliance.errors import StoreError
from appliance.storage.jobs import JobRepo

log = logging.getLogger("appliance.timekeeper")


class HubJobStore(BaseJobStore):  # type: ignore[misc]  # APScheduler ships no types
    """Jobs of registered kinds with WeeklyTimes triggers, kept in `jobs`. Adding a job whose
    function is not registered raises TransientJobError, one with another trigger TypeError."""

    def __init__(self, jobs: JobRepo, zone: ZoneInfo):
        super().__init__()
        self.jobs = jobs
        self.zone = zone                      # for a stored zone this box no longer knows
        self.kinds: dict[str, Callable[..., None]] = {}  # kind -> the function its jobs call
        self._index = MemoryJobStore()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, scheduler: BaseScheduler, alias: str) -> None:
        """Load the stored jobs; one of a kind nobody registered (an older hub's) is dropped."""
        super().start(scheduler, alias)
        self._index.remove_all_jobs()
        for doc in self.jobs.all():
            func = self.kinds.get(doc["kind"])
            if func is None:
                log.warning("dropped the stored job %s: no part of this hub runs jobs of kind %r",
                            doc["job_id"], doc["kind"])
                self.jobs.delete(doc["job_id"])
                continue
            self._index.add_job(Job(
                scheduler, id=doc["job_id"], func=func, args=tuple(doc["args"]), kwargs={},
                name=doc["name"], trigger=WeeklyTimes.from_spec(doc["trigger"], self.zone),
                executor="default", misfire_grace_time=doc["misfire_grace_time"],
                coalesce=doc["coalesce"], max_instances=doc["max_instances"],
                next_run_time=_moment(doc["next_run_time"])))

    def shutdown(self) -> None:
        self._index.remove_all_jobs()   # memory only: the stored jobs are what the next start reads

    # --- reads: the index -------------------------------------------------------------------

    def lookup_job(self, job_id: str) -> Job | None:
        return self._index.lookup_job(job_id)

    # APScheduler ships no types: its answers are named here.
    def get_due_jobs(self, now: datetime) -> list[Job]:
        due: list[Job] = self._index.get_due_jobs(now)
        return due

    def get_next_run_time(self) -> datetime | None:
        when: datetime | None = self._index.get_next_run_time()
        return when

    def get_all_jobs(self) -> list[Job]:
        jobs: list[Job] = self._index.get_all_jobs()
        return jobs

    # --- writes: the store first, then the index --------------------------------------------

    def add_job(self, job: Job) -> None:
        if self._index.lookup_job(job.id) is not None:
            raise ConflictingIdError(job.id)
        self.jobs.put(self._doc(job))
        self._index.add_job(job)

    def update_job(self, job: Job) -> None:
        """Also the scheduler thread's call after each run (the next run time): a store that
        cannot write then is logged, not raised, or the scheduler's thread would end."""
        if self._index.lookup_job(job.id) is None:
            raise JobLookupError(job.id)
        try:
            self.jobs.put(self._doc(job))
        except StoreError as exc:
            log.error("job %s: its next run time (%s) is not saved: %s", job.id,
                      job.next_run_time, exc.message)
        self._index.update_job(job)

    def remove_job(self, job_id: str) -> None:
        if self._index.lookup_job(job_id) is None:
            raise JobLookupError(job_id)
        self.jobs.delete(job_id)
        self._index.remove_job(job_id)

    def remove_all_jobs(self) -> None:
        self.jobs.clear()
        self._index.remove_all_jobs()

    def _doc(self, job: Job) -> dict[str, Any]:
        kind = next((name for name, func in self.kinds.items() if func == job.func), None)
        if kind is None:
            raise TransientJobError(job.id)
        if not isinstance(job.trigger, WeeklyTimes):
            raise TypeError(f"the hub's job store keeps weekly triggers only, not {job.trigger}")
        return {"job_id": job.id, "kind": kind, "args": list(job.args), "name": job.name,
                "trigger": job.trigger.spec(),
                "next_run_time": job.next_run_time.isoformat() if job.next_run_time else None,
                "misfire_grace_time": job.misfire_grace_time, "coalesce": job.coalesce,
                "max_instances": job.max_instances}

    def __repr__(self) -> str:
        return f"<HubJobStore {len(self._index.get_all_jobs())} jobs>"


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
