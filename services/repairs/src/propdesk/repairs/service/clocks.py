"""A work order's SLA clocks: acknowledge, dispatch, arrive on site, complete. Targets per estate × urgency
(× category, which wins); each clock is a `propdesk.common.sla.Clock` stored on the order. One durable timer
per running milestone always points at its next event: 50% warning, 80% warning, breach."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import timers
from propdesk.common.sla import Clock
from propdesk.common.timeutil import BusinessCalendar
from propdesk.repairs.models import WorkOrder

WARNINGS = (0.5, 0.8)
MILESTONES = ("acknowledge", "dispatch", "arrive", "complete")
CAL = BusinessCalendar()


def load(wo: WorkOrder) -> dict[str, Clock]:
    return {m: Clock.from_dict(c) for m, c in (wo.clocks or {}).items()}


def store(wo: WorkOrder, clocks: dict[str, Clock]) -> None:
    wo.clocks = {m: c.to_dict() for m, c in clocks.items()}
    dues = [d for d in (c.due_at(CAL) for c in clocks.values() if c.breached_at is None) if d is not None]
    wo.next_due_at = min(dues) if dues else None


def start(found: dict[str, tuple[int, str]], at: dt.datetime) -> dict[str, Clock]:
    return {m: Clock.start(m, dt.timedelta(minutes=mins), cal, at) for m, (mins, cal) in found.items()}


def key(wo_id: uuid.UUID, milestone: str) -> str:
    return f"wo:{wo_id}:{milestone}"


def next_point(clock: Clock) -> tuple[str, dt.datetime] | None:
    """The next thing that will happen to this clock: ('0.5' | '0.8' | 'breach', when)."""
    if clock.met_at is not None or clock.paused_at is not None or clock.breached_at is not None:
        return None
    for threshold in WARNINGS:
        if threshold in clock.warned:
            continue
        at = clock.warn_at(threshold, CAL)
        if at is not None:
            return str(threshold), at
    due = clock.due_at(CAL)
    return ("breach", due) if due is not None else None


def arm(session: AsyncSession, wo: WorkOrder, clocks: dict[str, Clock], *, new: bool = False) -> None:
    """(Re)schedule every milestone's timer after a change (met, paused or breached ones are cancelled; a
    `new` order has none to cancel)."""
    arm_many(session, [(wo, clocks)], new=new)


def arm_many(
    session: AsyncSession, orders: list[tuple[WorkOrder, dict[str, Clock]]], *, new: bool = False
) -> None:
    items, stale = timer_items(orders)
    timers.schedule_many(session, items)
    if not new:
        timers.cancel_many(session, stale)


def timer_items(orders: list[tuple[WorkOrder, dict[str, Clock]]]) -> tuple[list[dict], list[str]]:
    """The timers the orders' clocks want next (for `timers.schedule_many`), and the keys of those that
    have nothing left to wait for."""
    items, stale = [], []
    for wo, clocks in orders:
        for milestone in MILESTONES:
            clock = clocks.get(milestone)
            point = next_point(clock) if clock is not None else None
            if point is None:
                stale.append(key(wo.id, milestone))
            else:
                items.append(
                    {
                        "kind": "wo.sla",
                        "key": key(wo.id, milestone),
                        "due_at": point[1],
                        "payload": {"work_order_id": str(wo.id), "milestone": milestone, "point": point[0]},
                    }
                )
    return items, stale


def meet(clocks: dict[str, Clock], milestones: tuple[str, ...], at: dt.datetime) -> list[str]:
    met = []
    for m in milestones:
        clock = clocks.get(m)
        if clock is not None and clock.met_at is None:
            clock.meet(at, CAL)
            met.append(m)
    return met


def pause(clocks: dict[str, Clock], at: dt.datetime) -> None:
    for clock in clocks.values():
        clock.pause(at, CAL)


def resume(clocks: dict[str, Clock], at: dt.datetime) -> None:
    for clock in clocks.values():
        clock.resume(at)


def retarget(
    clocks: dict[str, Clock], found: dict[str, tuple[int, str]], created_at: dt.datetime, at: dt.datetime
) -> dict[str, Clock]:
    """A new urgency: running clocks keep the time already used; a milestone the new urgency adds starts as of
    the report (its elapsed time counts); one it drops goes."""
    out: dict[str, Clock] = {}
    for milestone, (mins, calendar) in found.items():
        target = dt.timedelta(minutes=mins)
        clock = clocks.get(milestone)
        if clock is not None and clock.met_at is None and clock.calendar != calendar:
            # another calendar (working hours <-> around the clock): count the time since the report anew in it
            fresh = Clock.start(milestone, target, calendar, created_at)
            fresh.retarget(target, at, CAL)
            fresh.warned, fresh.paused_total = list(clock.warned), clock.paused_total
            if clock.paused_at is not None:
                fresh.pause(at, CAL)
            clock = fresh
        elif clock is None:
            clock = Clock.start(milestone, target, calendar, created_at)
            clock.retarget(target, at, CAL)
        elif clock.met_at is None:
            clock.retarget(target, at, CAL)
            clock.warned = [w for w in clock.warned if clock.elapsed(at, CAL) >= target * w]
        out[milestone] = clock
    return out


def view(wo: WorkOrder, now: dt.datetime) -> list[dict]:
    return [
        {
            "milestone": m,
            "state": c.state(now, CAL),
            "target_minutes": int(c.target.total_seconds() // 60),
            "calendar": c.calendar,
            "due_at": c.due_at(CAL),
            "met_at": c.met_at,
            "breached_at": c.breached_at,
            "elapsed_seconds": int(c.elapsed(now, CAL).total_seconds()) if c.met_at is None else None,
            "paused_total_seconds": int(c.paused_total.total_seconds()),
        }
        for m, c in sorted(load(wo).items(), key=lambda kv: MILESTONES.index(kv[0]))
    ]
