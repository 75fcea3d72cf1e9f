"""SLA clocks: a milestone's target, on the wall clock or in working time, that pauses and resumes
without losing elapsed time and can be re-targeted. Pure arithmetic; services store `to_dict()` and
schedule durable timers at `due_at` and `warn_at(f)`.

The clock keeps an anchor (start, or the last resume) and the target time still remaining at the anchor:
due = anchor + remaining. Pausing subtracts the time elapsed since the anchor; resuming moves the anchor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from propdesk.common.timeutil import BusinessCalendar, add_time, time_between

State = Literal["running", "paused", "met", "breached"]


@dataclass
class Clock:
    milestone: str
    target: dt.timedelta
    calendar: str  # "clock" | "business"
    started_at: dt.datetime
    anchor: dt.datetime
    remaining: dt.timedelta
    paused_at: dt.datetime | None = None
    paused_total: dt.timedelta = dt.timedelta(0)
    met_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    warned: list[float] = field(default_factory=list)

    @classmethod
    def start(cls, milestone: str, target: dt.timedelta, calendar: str, at: dt.datetime) -> Clock:
        return cls(milestone, target, calendar, at, at, target)

    def due_at(self, cal: BusinessCalendar) -> dt.datetime | None:
        if self.paused_at is not None or self.met_at is not None:
            return None
        return add_time(cal, self.calendar, self.anchor, self.remaining)

    def warn_at(self, fraction: float, cal: BusinessCalendar) -> dt.datetime | None:
        """When `fraction` of the target will have elapsed (None when paused, met or already past)."""
        left_at_warning = self.target * (1 - fraction)
        if self.paused_at is not None or self.met_at is not None or self.remaining <= left_at_warning:
            return None
        return add_time(cal, self.calendar, self.anchor, self.remaining - left_at_warning)

    def elapsed(self, now: dt.datetime, cal: BusinessCalendar) -> dt.timedelta:
        """Target time used so far (pauses excluded)."""
        if self.paused_at is not None:
            return self.target - self.remaining
        return self.target - self.remaining + time_between(cal, self.calendar, self.anchor, now)

    def pause(self, at: dt.datetime, cal: BusinessCalendar) -> None:
        if self.paused_at is None and self.met_at is None:
            self.remaining -= time_between(cal, self.calendar, self.anchor, at)
            self.paused_at = at

    def resume(self, at: dt.datetime) -> None:
        if self.paused_at is not None:
            self.paused_total += at - self.paused_at
            self.anchor, self.paused_at = at, None

    def retarget(self, target: dt.timedelta, at: dt.datetime, cal: BusinessCalendar) -> None:
        """A new target (an urgency or severity change) keeps the time already used."""
        used = self.elapsed(at, cal)
        self.target = target
        self.remaining = target - used
        if self.paused_at is None:
            self.anchor = at

    def meet(self, at: dt.datetime, cal: BusinessCalendar) -> None:
        if self.met_at is None:
            self.pause(at, cal)
            self.paused_at = None
            self.met_at = at

    def state(self, now: dt.datetime, cal: BusinessCalendar) -> State:
        if self.met_at is not None:
            return "breached" if self.breached_at is not None else "met"
        if self.breached_at is not None:
            return "breached"
        if self.paused_at is not None:
            return "paused"
        due = self.due_at(cal)
        return "breached" if due is not None and now > due else "running"

    def to_dict(self) -> dict:
        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {  # by hand, not dataclasses.asdict (deep copies; on every report's hot path)
            "milestone": self.milestone,
            "target": self.target.total_seconds(),
            "calendar": self.calendar,
            "started_at": iso(self.started_at),
            "anchor": iso(self.anchor),
            "remaining": self.remaining.total_seconds(),
            "paused_at": iso(self.paused_at),
            "paused_total": self.paused_total.total_seconds(),
            "met_at": iso(self.met_at),
            "breached_at": iso(self.breached_at),
            "warned": list(self.warned),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Clock:
        values = dict(data)
        values["warned"] = list(values.get("warned", []))  # never share a list with the ORM's loaded JSON
        for key in ("target", "remaining", "paused_total"):
            values[key] = dt.timedelta(seconds=values[key])
        for key in ("started_at", "anchor", "paused_at", "met_at", "breached_at"):
            values[key] = dt.datetime.fromisoformat(values[key]) if values[key] else None
        return cls(**values)
