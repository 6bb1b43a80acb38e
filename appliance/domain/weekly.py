"""When a recurring schedule fires: weekdays x "HH:MM" wall-clock times in one time zone, as an
APScheduler trigger (`WeeklyTimes`), with its daylight-saving rules. Pure: no I/O, no state;
the scheduler's thread and request threads (next run times) call it.

DST rules: a time the clock skips (02:30 on a spring-forward night) fires once, at the moment
the clock jumps (03:00); a time the clock shows twice (02:30 on a fall-back night) fires once,
the first time. Times that fall on one moment fire once. Weekdays count from 0 = Monday.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_TIME = re.compile(TIME_PATTERN.replace("$", r"\Z"))
_ONE_MICROSECOND = timedelta(microseconds=1)


def weekday_number(value: str | int) -> int:
    """0 (Monday) .. 6 (Sunday) from a number or a name (mon..sun, any case); ValueError else."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS.index(value.strip().lower())
    raise ValueError(f"{value!r} is not a weekday: use mon..sun or 0 (Monday) .. 6 (Sunday)")


def clock_time(value: str) -> tuple[int, int]:
    """(hour, minute) of "HH:MM" (24 h); ValueError else."""
    if not isinstance(value, str) or not _TIME.match(value):
        raise ValueError(f"{value!r} is not a time of day in the form HH:MM (00:00 .. 23:59)")
    return int(value[:2]), int(value[3:])


def on_the_clock(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """The moment the clock in `zone` shows `day` `hour`:`minute`: the first of two on a
    fall-back night; the jump's moment when the clock skips it."""
    wall = datetime.combine(day, time(hour, minute))
    moment = wall.replace(tzinfo=zone)        # fold=0: the earlier of two readings
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return moment
    # Skipped: with fold=0 the time is read with the offset before the jump, with fold=1 with
    # the one after; the jump lies between those two instants (whole seconds in every zone).
    before = moment.utcoffset()
    low, high = int(moment.replace(fold=1).timestamp()), int(moment.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, zone)


class WeeklyTimes(BaseTrigger):  # type: ignore[misc]  # APScheduler ships no types
    """Fires at each of `times` on each of `weekdays` (empty: every day), wall clock of `zone`."""

    __slots__ = ("times", "weekdays", "zone")

    def __init__(self, weekdays: Iterable[int], times: Iterable[str], zone: ZoneInfo):
        self.weekdays = tuple(sorted(set(weekdays))) or tuple(range(7))
        self.times = tuple(sorted({clock_time(t) for t in times}))
        if not self.times:
            raise ValueError("a weekly trigger needs at least one time")
        self.zone = zone

    def get_next_fire_time(self, previous_fire_time: datetime | None,
                           now: datetime) -> datetime | None:
        """The first firing after `previous_fire_time` (even if already past: the scheduler
        counts missed ones so), or, without one, the first at or after `now`."""
        # Instants, not wall readings: aware arithmetic and comparison within one zone ignore
        # the offset, which a fall-back night repeats.
        if previous_fire_time is None:
            start = now.astimezone(UTC)
        else:
            start = previous_fire_time.astimezone(UTC) + _ONE_MICROSECOND
        first_day = start.astimezone(self.zone).date()
        for offset in range(8):                  # every weekday comes round within a week
            day = first_day + timedelta(days=offset)
            if day.weekday() not in self.weekdays:
                continue
            for hour, minute in self.times:
                moment = on_the_clock(day, hour, minute, self.zone)
                if moment.astimezone(UTC) >= start:
                    return moment
        return None

    def next_times(self, now: datetime, count: int) -> list[datetime]:
        """The next `count` firings at or after `now`."""
        out: list[datetime] = []
        moment = self.get_next_fire_time(None, now)
        while moment is not None and len(out) < count:
            out.append(moment)
            moment = self.get_next_fire_time(moment, moment)
        return out

    # --- as JSON (the hub's job store keeps triggers so, not pickled) -------------------------

    def spec(self) -> dict[str, Any]:
        return {"weekdays": list(self.weekdays), "times": [f"{h:02d}:{m:02d}" for h, m in self.times],
                "timezone": self.zone.key}

    @classmethod
    def from_spec(cls, spec: dict[str, Any], default_zone: ZoneInfo) -> WeeklyTimes:
        """The trigger `spec()` described; a zone this box no longer knows becomes
        `default_zone` (the hub's start-up then finds the spec changed and re-arms the job)."""
        try:
            zone = ZoneInfo(spec["timezone"])
        except (ZoneInfoNotFoundError, ValueError, TypeError, KeyError):
            zone = default_zone
        return cls(spec["weekdays"], spec["times"], zone)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WeeklyTimes) and self.spec() == other.spec()

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        days = "every day" if len(self.weekdays) == 7 else ",".join(WEEKDAYS[d] for d in self.weekdays)
        times = ",".join(f"{h:02d}:{m:02d}" for h, m in self.times)
        return f"weekly[{days} at {times} {self.zone.key}]"

    def __repr__(self) -> str:
        return f"<WeeklyTimes {self.spec()}>"
