"""Time on APScheduler (issue 13): the misfire policy with a fake clock, one job store contract
for the hub's store and APScheduler's memory store, schedules across restarts (next run time
kept; missed runs fired once or skipped as the policy says; disabled ones never), and the
engine sleeping until its alarm instead of polling."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError, TransientJobError
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from appliance.domain.tasks import iso
from appliance.domain.weekly import WeeklyTimes
from appliance.engine import Engine
from appliance.services import build_services
from appliance.services.jobstore import HubJobStore
from appliance.services.schedules import job_id
from appliance.services.timekeeper import catch_up
from appliance.storage import Store
from tests.engine import fakes
from tests.fixtures import wait_for
from tests.hubkit import hub_config

PARIS = ZoneInfo("Europe/Paris")
UTC = UTC
BODY = {"name": "morning", "times": ["08:00"], "targets": {"serials": ["SER1", "SER2"]},
        "script_name": "account_warmup"}


# --- the misfire policy, with a fake `now` -------------------------------------------------------

def test_nothing_missed_changes_nothing():
    trigger = WeeklyTimes([], ["08:00"], PARIS)
    stored = datetime(2026, 6, 2, 8, 0, tzinfo=PARIS)
    assert catch_up(trigger, stored, stored - timedelta(hours=1), 600) is None
    assert catch_up(trigger, None, stored, 600) is None


def test_runs_missed_while_down_fire_once_when_the_latest_is_within_the_grace():
    trigger = WeeklyTimes([], ["08:00"], PARIS)
    stored = datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)           # down for three days
    now = datetime(2026, 6, 4, 8, 5, tzinfo=PARIS)
    decision = catch_up(trigger, stored, now, 600)
    assert decision.fire and decision.next_run_time == now
    assert decision.missed == datetime(2026, 6, 4, 8, 0, tzinfo=PARIS)   # coalesced into one


def test_a_run_missed_beyond_the_grace_is_skipped_and_the_next_comes_after_now():
    trigger = WeeklyTimes([], ["08:00"], PARIS)
    now = datetime(2026, 6, 4, 8, 11, tzinfo=PARIS)
    decision = catch_up(trigger, datetime(2026, 6, 1, 8, 0, tzinfo=PARIS), now, 600)
    assert not decision.fire
    assert decision.missed == datetime(2026, 6, 4, 8, 0, tzinfo=PARIS)
    assert decision.next_run_time == datetime(2026, 6, 5, 8, 0, tzinfo=PARIS)


def test_the_grace_counts_real_time_across_the_fall_back_night():
    """02:30 CEST on 2026-10-25, hub back at 02:35 CET: 65 minutes late, not 5."""
    trigger = WeeklyTimes([], ["02:30"], PARIS)
    missed = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    now = datetime(2026, 10, 25, 1, 35, tzinfo=UTC).astimezone(PARIS)
    decision = catch_up(trigger, missed.astimezone(PARIS), now, 600)
    assert not decision.fire and decision.missed.astimezone(UTC) == missed


# --- the job store contract: APScheduler's memory store and the hub's pass the same test --------

def fire(schedule_id: int) -> None:
    """A job's function (never run here)."""


@pytest.fixture(params=["memory", "hub"])
def jobstore(request, tmp_path):
    scheduler = BackgroundScheduler(timezone=PARIS)
    store = None
    if request.param == "memory":
        jobs = MemoryJobStore()
    else:
        store = Store.open(tmp_path / "state")
        jobs = HubJobStore(store.jobs, PARIS)
        jobs.kinds["fire"] = fire
    jobs.start(scheduler, "persistent")
    yield scheduler, jobs
    if store is not None:
        store.close()


def make_job(scheduler, name: str, next_run: datetime | None) -> Job:
    return Job(scheduler, id=name, func=fire, args=(1,), kwargs={}, name=name,
               trigger=WeeklyTimes([], ["08:00"], PARIS), executor="default",
               misfire_grace_time=600, coalesce=True, max_instances=1, next_run_time=next_run)


def test_the_job_store_contract(jobstore):
    scheduler, jobs = jobstore
    day = datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)
    for name, moment in (("b", day + timedelta(days=2)), ("paused", None), ("a", day)):
        jobs.add_job(make_job(scheduler, name, moment))
    assert [j.id for j in jobs.get_all_jobs()] == ["a", "b", "paused"]   # by next run, paused last
    assert jobs.get_next_run_time() == day
    assert [j.id for j in jobs.get_due_jobs(day + timedelta(days=1))] == ["a"]
    assert jobs.lookup_job("b").next_run_time == day + timedelta(days=2)
    assert jobs.lookup_job("nope") is None
    moved = jobs.lookup_job("a")
    moved.next_run_time = day + timedelta(days=3)
    jobs.update_job(moved)
    assert [j.id for j in jobs.get_all_jobs()] == ["b", "a", "paused"]
    with pytest.raises(ConflictingIdError):
        jobs.add_job(make_job(scheduler, "a", day))
    with pytest.raises(JobLookupError):
        jobs.update_job(make_job(scheduler, "nope", day))
    jobs.remove_job("b")
    with pytest.raises(JobLookupError):
        jobs.remove_job("b")
    assert [j.id for j in jobs.get_all_jobs()] == ["a", "paused"]
    jobs.remove_all_jobs()
    assert jobs.get_all_jobs() == [] and jobs.get_next_run_time() is None


def test_the_hub_job_store_keeps_jobs_as_json_across_a_reopen(tmp_path):
    scheduler = BackgroundScheduler(timezone=PARIS)
    moment = datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)
    with Store.open(tmp_path / "state") as store:
        jobs = HubJobStore(store.jobs, PARIS)
        jobs.kinds["fire"] = fire
        jobs.start(scheduler, "persistent")
        jobs.add_job(make_job(scheduler, "a", moment))
        with pytest.raises(TransientJobError):     # a function the hub did not register
            jobs.add_job(Job(scheduler, id="x", func=print, args=(), kwargs={}, name="x",
                             trigger=WeeklyTimes([], ["08:00"], PARIS), executor="default",
                             misfire_grace_time=1, coalesce=True, max_instances=1,
                             next_run_time=moment))
        assert [doc["job_id"] for doc in store.jobs.all()] == ["a"]
    with Store.open(tmp_path / "state") as store:
        again = HubJobStore(store.jobs, ZoneInfo("UTC"))
        again.kinds["fire"] = fire
        again.start(scheduler, "persistent")
        job = again.lookup_job("a")
        assert (job.next_run_time, job.trigger, job.args) == (moment, WeeklyTimes([], ["08:00"], PARIS), (1,))
        unknown = HubJobStore(store.jobs, PARIS)        # nobody runs jobs of kind "fire" now
        unknown.start(scheduler, "persistent")
        assert unknown.get_all_jobs() == [] and store.jobs.all() == []


# --- schedules across restarts -------------------------------------------------------------------

class Hub:
    """build_services (adb off) started with `clock`; closed on leaving."""

    def __init__(self, tmp_path, clock=None, **settings):
        self.services = build_services(hub_config(tmp_path, **settings), clock)
        self.services.start()

    def __enter__(self):
        return self.services

    def __exit__(self, *exc):
        self.services.close()


def forge_next_run(tmp_path, schedule_id: int, moment: datetime) -> None:
    """As if the hub had stopped with this run time due (it is stopped now)."""
    with Store.open(tmp_path / "state") as store:
        doc = next(d for d in store.jobs.all() if d["job_id"] == job_id(schedule_id))
        store.jobs.put({**doc, "next_run_time": moment.isoformat()})


def test_the_next_run_time_survives_a_restart(tmp_path):
    with Hub(tmp_path, timezone="Europe/Paris") as services:
        schedule = services.schedules.create(BODY)
        first = services.timekeeper.next_run_time(job_id(schedule["id"]))
        assert first.strftime("%H:%M") == "08:00" and first > datetime.now(UTC)
    with Hub(tmp_path, timezone="Europe/Paris") as services:
        assert services.timekeeper.next_run_time(job_id(schedule["id"])) == first
        assert services.schedules.get(schedule["id"])["next_run_times"][0] == iso(first)


def test_with_a_fake_clock_a_restart_within_the_grace_runs_the_missed_time_now(tmp_path, caplog):
    with Hub(tmp_path, timezone="Europe/Paris") as services:
        schedule = services.schedules.create(BODY)
        due = services.timekeeper.next_run_time(job_id(schedule["id"]))
    later = due + timedelta(minutes=5)
    with caplog.at_level(logging.INFO, "appliance.timekeeper"), \
            Hub(tmp_path, clock=lambda: later, timezone="Europe/Paris") as services:
        assert services.timekeeper.next_run_time(job_id(schedule["id"])) == later
    assert f"schedule {schedule['id']} 'morning': its run at {iso(due)} passed while the hub " \
           "was down; running it now" in caplog.text


def test_with_a_fake_clock_a_restart_past_the_grace_skips_the_run_saying_so(tmp_path, caplog):
    with Hub(tmp_path, timezone="Europe/Paris", schedule_grace=600) as services:
        schedule = services.schedules.create(BODY)
        due = services.timekeeper.next_run_time(job_id(schedule["id"]))
    later = due + timedelta(minutes=11)
    with caplog.at_level(logging.INFO, "appliance.timekeeper"), \
            Hub(tmp_path, clock=lambda: later, timezone="Europe/Paris") as services:
        assert services.timekeeper.next_run_time(job_id(schedule["id"])) == due + timedelta(days=1)
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and f"schedule {schedule['id']} 'morning'" in warning[0].message
    assert f"its run at {iso(due)} passed while the hub was down, more than 600 s ago: " \
           "skipped" in warning[0].message


def real_schedule_due(tmp_path, ago: timedelta, enabled_too: bool = False) -> tuple[dict, ...]:
    """Schedules (UTC) whose latest time passed `ago`, each stored as due then (hub stopped)."""
    now = datetime.now(UTC)
    at = (now - ago).strftime("%H:%M")
    with Hub(tmp_path, timezone="UTC") as services:
        made = [services.schedules.create({**BODY, "times": [at]})]
        if enabled_too:
            made.append(services.schedules.create({**BODY, "name": "night", "times": [at],
                                                   "targets": {"serials": ["N1"]}}))
    trigger = WeeklyTimes([], [at], ZoneInfo("UTC"))
    due = trigger.get_next_fire_time(None, now - ago - timedelta(minutes=1))
    for schedule in made:
        forge_next_run(tmp_path, schedule["id"], due)
    return tuple(made)


def test_a_run_missed_a_minute_ago_fires_once_at_start(tmp_path):
    (schedule,) = real_schedule_due(tmp_path, timedelta(minutes=1))
    with Hub(tmp_path, timezone="UTC") as services:
        fired = wait_for(lambda: services.schedules.get(schedule["id"])["last_run_at"],
                         message="the missed run fired")
        tasks, total = services.store.tasks.list({"source": "schedule"}, 0, 10)
        assert total == 2 and {t["schedule_id"] for t in tasks} == {schedule["id"]}
        assert services.timekeeper.next_run_time(job_id(schedule["id"])) > datetime.now(UTC)
        assert services.schedules.get(schedule["id"])["last_run_at"] == fired   # once


def test_a_run_missed_hours_ago_is_skipped_at_start(tmp_path, caplog):
    (schedule,) = real_schedule_due(tmp_path, timedelta(hours=2))
    with caplog.at_level(logging.WARNING, "appliance.timekeeper"), \
            Hub(tmp_path, timezone="UTC") as services:
        assert services.timekeeper.next_run_time(job_id(schedule["id"])) > datetime.now(UTC)
        assert services.schedules.get(schedule["id"])["last_run_at"] is None
        assert services.store.tasks.stats()["total"] == 0
    assert "skipped" in caplog.text and f"schedule {schedule['id']} 'morning'" in caplog.text


def test_a_disabled_schedule_never_fires_even_with_a_due_job_left_over(tmp_path):
    disabled, enabled = real_schedule_due(tmp_path, timedelta(minutes=1), enabled_too=True)
    with Store.open(tmp_path / "state") as store:   # disabled while its job stayed (a crash)
        store.schedules.update(disabled["id"], {"enabled": False})
    with Hub(tmp_path, timezone="UTC") as services:
        assert services.timekeeper.persistent_ids() == [job_id(enabled["id"])]
        wait_for(lambda: services.schedules.get(enabled["id"])["last_run_at"],
                 message="the enabled one fired")
        services.schedules.fire(disabled["id"])      # a run that raced the disable
        tasks, _total = services.store.tasks.list({"source": "schedule"}, 0, 10)
        assert {t["serial"] for t in tasks} == {"N1"}
        assert services.schedules.get(disabled["id"])["last_run_at"] is None


# --- the engine sleeps until its alarm --------------------------------------------------------

def test_the_engine_makes_no_pass_while_idle_and_its_alarm_keeps_a_start_time():
    keeper = fakes.timekeeper()
    store, tracker = fakes.FakeStore(), fakes.FakeTracker(["A"])
    engine = Engine(fakes.config(), store, fakes.registry(), fakes.now, random.Random(1),
                    timer=keeper, client=fakes.FakeClient(), tracker=tracker)
    passes = []
    real_tick = engine.dispatcher.tick
    engine.dispatcher.tick = lambda now: (passes.append(now), real_tick(now))[1]
    for _ in range(50):
        store.add("ABSENT")                          # a phone the tracker does not know
    not_before = fakes.now() + timedelta(seconds=0.6)
    later = store.add("A", _not_before=not_before.isoformat(), start_time="00:00")
    try:
        engine.start()
        wait_for(lambda: passes, message="the first dispatch pass")
        task = wait_for(lambda: (lambda t: t if t["status"] == 2 else None)(store.tasks.get(later)),
                        message="the scheduled task ran")
        # Idle while it waited for the start time: no pass between the first one and the alarm.
        assert all(now >= not_before for now in passes[1:]), (not_before, passes)
        late = task["_started_ts"] - not_before.timestamp()
        assert 0 <= late < 2.0       # the alarm, not a poll, started it (docs/API.md, Execution rules)
    finally:
        engine.stop(timeout=1)
        keeper.stop()
