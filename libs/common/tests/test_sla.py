"""SLA clock arithmetic: pauses keep the total, re-targeting keeps elapsed time, working-time targets."""

from __future__ import annotations

import datetime as dt

from propdesk.common.sla import Clock
from propdesk.common.timeutil import BusinessCalendar

CAL = BusinessCalendar()
T0 = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)  # Tuesday 09:00 Asia/Shanghai, a working day
H = dt.timedelta(hours=1)


def test_pause_stops_the_clock_and_keeps_the_total():
    c = Clock.start("first_response", 24 * H, "clock", T0)
    assert c.due_at(CAL) == T0 + 24 * H and c.warn_at(0.75, CAL) == T0 + 18 * H
    c.pause(T0 + 2 * H, CAL)
    assert c.state(T0 + 100 * H, CAL) == "paused" and c.due_at(CAL) is None
    c.resume(T0 + 7 * H)
    assert c.paused_total == 5 * H
    assert c.due_at(CAL) == T0 + 29 * H  # 24 h of target + 5 h paused
    assert c.elapsed(T0 + 9 * H, CAL) == 4 * H
    assert c.state(T0 + 28 * H, CAL) == "running" and c.state(T0 + 30 * H, CAL) == "breached"


def test_warning_already_passed_when_paused_late():
    c = Clock.start("resolution", 10 * H, "clock", T0)
    c.pause(T0 + 8 * H, CAL)
    c.resume(T0 + 9 * H)
    assert c.warn_at(0.75, CAL) is None  # 80% used already
    assert c.due_at(CAL) == T0 + 11 * H


def test_retarget_keeps_elapsed_time():
    c = Clock.start("arrive", 2 * H, "clock", T0)
    c.retarget(dt.timedelta(minutes=30), T0 + dt.timedelta(minutes=20), CAL)  # urgency raised after 20 min
    assert c.due_at(CAL) == T0 + dt.timedelta(minutes=30)
    c.retarget(4 * H, T0 + dt.timedelta(minutes=40), CAL)  # lowered again: overdue time is not forgotten
    assert c.due_at(CAL) == T0 + 4 * H


def test_business_calendar_target_skips_the_night():
    c = Clock.start("acknowledge", 2 * H, "business", T0 + 8 * H)  # 17:00 local
    assert c.due_at(CAL) == T0 + 25 * H  # 1 h today, 1 h from 09:00 tomorrow -> 10:00 local


def test_met_and_round_trip():
    c = Clock.start("acknowledge", 2 * H, "clock", T0)
    c.breached_at = T0 + 3 * H
    c.meet(T0 + 4 * H, CAL)
    assert c.state(T0 + 5 * H, CAL) == "breached" and c.due_at(CAL) is None
    assert Clock.from_dict(c.to_dict()) == c
