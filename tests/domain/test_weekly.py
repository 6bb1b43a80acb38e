"""When a schedule fires (domain/weekly.py): local wall-clock times across daylight saving,
weekdays, and what the scheduler asks of a trigger. A fake `now` throughout: no clock, no thread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from appliance.domain.weekly import WeeklyTimes, clock_time, weekday_number

PARIS = ZoneInfo("Europe/Paris")
UTC = UTC


def firings(trigger: WeeklyTimes, start: datetime, end: datetime) -> list[datetime]:
    """Every firing in [start, end), as the scheduler walks them (previous -> next)."""
    out, moment = [], trigger.get_next_fire_time(None, start)
    while moment is not None and moment < end:
        out.append(moment)
        moment = trigger.get_next_fire_time(moment, moment)
    return out


def test_a_daily_time_fires_at_that_local_time_each_day():
    trigger = WeeklyTimes([], ["08:15"], PARIS)
    got = firings(trigger, datetime(2026, 6, 1, 9, 0, tzinfo=PARIS),
                  datetime(2026, 6, 4, 9, 0, tzinfo=PARIS))
    assert [m.isoformat() for m in got] == ["2026-06-02T08:15:00+02:00",
                                             "2026-06-03T08:15:00+02:00",
                                             "2026-06-04T08:15:00+02:00"]


def test_a_time_the_spring_forward_night_skips_fires_once_when_the_clock_jumps():
    # 2026-03-29 in Paris: 02:00 CET becomes 03:00 CEST; 02:30 never shows.
    trigger = WeeklyTimes([], ["02:30"], PARIS)
    got = firings(trigger, datetime(2026, 3, 28, 12, tzinfo=PARIS),
                  datetime(2026, 3, 31, 0, tzinfo=PARIS))
    assert [m.astimezone(UTC).isoformat() for m in got] == [
        "2026-03-29T01:00:00+00:00",     # 03:00 CEST: the moment of the jump
        "2026-03-30T00:30:00+00:00"]     # 02:30 CEST the day after
    assert got[0].strftime("%H:%M %Z") == "03:00 CEST"


def test_a_time_the_fall_back_night_shows_twice_fires_once_the_first_time():
    # 2026-10-25 in Paris: 03:00 CEST becomes 02:00 CET; 02:30 shows twice.
    trigger = WeeklyTimes([], ["02:30"], PARIS)
    got = firings(trigger, datetime(2026, 10, 24, 12, tzinfo=PARIS),
                  datetime(2026, 10, 27, 0, tzinfo=PARIS))
    assert [m.astimezone(UTC).isoformat() for m in got] == [
        "2026-10-25T00:30:00+00:00",     # 02:30 CEST, the first of the two
        "2026-10-26T01:30:00+00:00"]     # 02:30 CET the day after


def test_the_scheduler_asking_from_the_repeated_hour_gets_the_next_day():
    """Between the two readings of 02:30 the next firing is the next day's, not the second."""
    trigger = WeeklyTimes([], ["02:30"], PARIS)
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    in_between = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)      # 02:10 CET, after 02:30 CEST
    assert trigger.get_next_fire_time(first, in_between).astimezone(UTC) == \
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, in_between).astimezone(UTC) == \
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_times_keep_their_order_and_those_on_one_moment_fire_once():
    trigger = WeeklyTimes([6], ["03:15", "02:30", "03:00"], PARIS)    # Sundays
    got = firings(trigger, datetime(2026, 3, 28, tzinfo=PARIS), datetime(2026, 3, 30, tzinfo=PARIS))
    assert [m.strftime("%d %H:%M") for m in got] == ["29 03:00", "29 03:15"]


def test_weekdays_count_from_monday_and_none_means_every_day():
    trigger = WeeklyTimes([0, 4], ["07:00"], PARIS)                  # Monday, Friday
    got = firings(trigger, datetime(2026, 6, 1, tzinfo=PARIS), datetime(2026, 6, 15, tzinfo=PARIS))
    assert [m.strftime("%a %d") for m in got] == ["Mon 01", "Fri 05", "Mon 08", "Fri 12"]
    every = WeeklyTimes([], ["07:00"], PARIS)
    assert len(firings(every, datetime(2026, 6, 1, tzinfo=PARIS),
                       datetime(2026, 6, 8, tzinfo=PARIS))) == 7


def test_missed_firings_are_counted_from_the_previous_one_as_the_scheduler_does():
    """With a previous firing long past, each call gives the next one after it (the scheduler
    counts missed runs so), even when `now` is much later."""
    trigger = WeeklyTimes([], ["08:00"], PARIS)
    previous = datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)
    now = datetime(2026, 6, 4, 12, 0, tzinfo=PARIS)
    assert trigger.get_next_fire_time(previous, now) == datetime(2026, 6, 2, 8, 0, tzinfo=PARIS)


def test_the_trigger_survives_its_json_form():
    trigger = WeeklyTimes([6, 0], ["02:30", "08:00"], PARIS)
    again = WeeklyTimes.from_spec(trigger.spec(), ZoneInfo("UTC"))
    assert again == trigger and again.spec()["timezone"] == "Europe/Paris"
    gone = WeeklyTimes.from_spec({**trigger.spec(), "timezone": "Nowhere/Atlantis"}, PARIS)
    assert gone.zone is PARIS


@pytest.mark.parametrize("bad", ["25:00", "8:00", "08:60", "", "08:00\n", None])
def test_a_bad_time_is_refused(bad):
    with pytest.raises(ValueError):
        clock_time(bad)


@pytest.mark.parametrize("value,number", [("mon", 0), ("SUN", 6), (3, 3)])
def test_weekdays_by_name_or_number(value, number):
    assert weekday_number(value) == number


@pytest.mark.parametrize("bad", ["monday", 7, -1, True, "x"])
def test_a_bad_weekday_is_refused(bad):
    with pytest.raises(ValueError):
        weekday_number(bad)


def test_next_times_lists_the_coming_firings():
    trigger = WeeklyTimes([], ["09:00", "21:00"], PARIS)
    now = datetime(2026, 6, 1, 10, 0, tzinfo=PARIS)
    assert trigger.next_times(now, 3) == [now.replace(hour=21),
                                          now.replace(hour=9) + timedelta(days=1),
                                          now.replace(hour=21) + timedelta(days=1)]
