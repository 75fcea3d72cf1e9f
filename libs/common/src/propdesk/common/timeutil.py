"""Time: stored in UTC; shown in the estate's zone (default Asia/Shanghai); a Chinese business calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_TZ = "Asia/Shanghai"


@lru_cache(maxsize=4096)
def _is_workday(day: dt.date) -> bool:
    """chinese_calendar's answer (holidays and make-up working days), remembered: SLA arithmetic asks it for
    the same few days on every report."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # beyond the library's published years: weekdays
        return day.weekday() < 5


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@lru_cache(maxsize=64)
def zone(name: str = DEFAULT_TZ) -> ZoneInfo:
    return ZoneInfo(name)


def to_local(moment: dt.datetime, tz: str = DEFAULT_TZ) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: store and pass aware UTC datetimes")
    return moment.astimezone(zone(tz))


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days per the State Council's holiday schedule (chinese-calendar), with adjusted
    working weekends (调休). Working hours are a single span per day, estate-local."""

    tz: str = DEFAULT_TZ
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(18, 0)

    def is_working_day(self, day: dt.date) -> bool:
        return _is_workday(day)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        current, left = start, days
        while left > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def add_business_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment `duration` of working time after `start` (aware), returned in UTC."""
        local = to_local(start, self.tz)
        remaining = duration
        while True:
            day = local.date()
            opens = dt.datetime.combine(day, self.day_start, zone(self.tz))
            closes = dt.datetime.combine(day, self.day_end, zone(self.tz))
            if self.is_working_day(day) and local < closes:
                begin = max(local, opens)
                if begin + remaining <= closes:
                    return (begin + remaining).astimezone(dt.UTC)
                remaining -= closes - begin
            local = dt.datetime.combine(day + dt.timedelta(days=1), self.day_start, zone(self.tz))

    def business_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time between two aware instants (zero if end <= start)."""
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        local, stop = to_local(start, self.tz), to_local(end, self.tz)
        day = local.date()
        while day <= stop.date():
            if self.is_working_day(day):
                opens = dt.datetime.combine(day, self.day_start, zone(self.tz))
                closes = dt.datetime.combine(day, self.day_end, zone(self.tz))
                begin, finish = max(opens, local), min(closes, stop)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total


CLOCK = "clock"
BUSINESS = "business"


def add_time(
    calendar: BusinessCalendar, kind: str, start: dt.datetime, duration: dt.timedelta
) -> dt.datetime:
    """`start` + `duration` on the wall clock (around the clock) or in working time."""
    return start + duration if kind == CLOCK else calendar.add_business_time(start, duration)


def time_between(calendar: BusinessCalendar, kind: str, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    return max(end - start, dt.timedelta(0)) if kind == CLOCK else calendar.business_time_between(start, end)
