"""Preventive maintenance (计划保养): a recurring schedule per piece of equipment (croniter, estate local
time), e.g. elevators twice a month and fire systems monthly. A durable timer generates each visit's work
order `lead_days` ahead (urgency 'scheduled', dispatched like any other), then moves to the next date; a
second timer the day after each visit reports it missed if it was not completed by then."""

from __future__ import annotations

import datetime as dt
import uuid

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.contracts import repairs as ev
from propdesk.common.timeutil import to_local, utcnow, zone
from propdesk.repairs.errors import LocationNotFound, ScheduleNotFound
from propdesk.repairs.models import Building, MaintenanceSchedule, Place, WorkOrder
from propdesk.repairs.schemas import ScheduleCreate
from propdesk.repairs.service import estates, reporting, timeline


def next_date(cron: str, after: dt.date, tz: str) -> dt.date:
    start = dt.datetime.combine(after, dt.time(23, 59), zone(tz))
    return croniter(cron, start).get_next(dt.datetime).date()


def _midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), zone(tz)).astimezone(dt.UTC)


async def _arm(session: AsyncSession, s: MaintenanceSchedule, tz: str) -> None:
    at = max(_midnight(s.next_due_on - dt.timedelta(days=s.lead_days), tz), utcnow())
    timers.schedule(
        session, kind="pm.generate", key=f"pm:{s.id}", due_at=at, payload={"schedule_id": str(s.id)}
    )


async def create(session: AsyncSession, estate_id: uuid.UUID, data: ScheduleCreate) -> MaintenanceSchedule:
    await estates.require_estate(session, estate_id)
    if data.place_id is None and data.building_id is None:
        raise LocationNotFound("a schedule needs the equipment's place_id or a building_id")
    if data.place_id is not None:
        place = await session.get(Place, data.place_id)
        if place is None or place.estate_id != estate_id:
            raise LocationNotFound(f"place {data.place_id} is not known in this estate")
    if data.building_id is not None:
        b = await session.get(Building, data.building_id)
        if b is None or b.estate_id != estate_id:
            raise LocationNotFound(f"building {data.building_id} is not known in this estate")
    tz = await estates.timezone_of(session, estate_id)
    today = to_local(utcnow(), tz).date()
    s = MaintenanceSchedule(
        estate_id=estate_id,
        place_id=data.place_id,
        building_id=data.building_id,
        title=data.title,
        category=data.category,
        cron=data.cron,
        lead_days=data.lead_days,
        active=True,
        next_due_on=next_date(data.cron, today - dt.timedelta(days=1), tz),
    )
    session.add(s)
    await session.flush()
    await _arm(session, s, tz)
    return s


async def generate(session: AsyncSession, schedule_id: uuid.UUID) -> None:
    s = await timers.lock_or_defer(session, MaintenanceSchedule, schedule_id)
    if s is None or not s.active:
        return
    tz = await estates.timezone_of(session, s.estate_id)
    due = s.next_due_on
    exists = await session.execute(
        select(WorkOrder.id).where(WorkOrder.schedule_id == s.id, WorkOrder.scheduled_for == due)
    )
    if exists.first() is None:
        place_id = s.place_id
        if place_id is None:  # a building-wide schedule: the building's first common place, if any
            place_id = (
                await session.execute(select(Place.id).where(Place.building_id == s.building_id).limit(1))
            ).scalar()
        if place_id is not None:
            wo, _ = await reporting.report(
                session,
                s.estate_id,
                unit_id=None,
                place_id=place_id,
                category=s.category,
                problem="other",
                urgency="scheduled",
                description=f"计划保养 preventive maintenance: {s.title} ({due})",
                photos=[],
                source="preventive",
                reporter_resident_id=None,
                reporter_name="计划保养",
                reporter_phone=None,
                preferred_from=_midnight(due, tz) + dt.timedelta(hours=8),
                preferred_to=_midnight(due, tz) + dt.timedelta(hours=18),
                schedule_id=s.id,
                scheduled_for=due,
            )
            timers.schedule(
                session,
                kind="pm.missed",
                key=f"pm:{s.id}:missed:{due}",
                due_at=_midnight(due + dt.timedelta(days=1), tz),
                payload={"work_order_id": str(wo.id), "schedule_id": str(s.id)},
            )
    s.next_due_on = next_date(s.cron, due, tz)
    await session.flush()
    await _arm(session, s, tz)


async def check_missed(session: AsyncSession, schedule_id: uuid.UUID, work_order_id: uuid.UUID) -> None:
    wo = await session.get(WorkOrder, work_order_id)
    s = await session.get(MaintenanceSchedule, schedule_id)
    if wo is None or s is None or wo.completed_at is not None or wo.state == "cancelled":
        return
    timeline.entry(session, wo, "maintenance_missed", "system", None, due_on=str(wo.scheduled_for))
    outbox.record(
        session,
        ev.MaintenanceMissed(
            schedule_id=s.id,
            estate_id=s.estate_id,
            title=s.title,
            work_order_id=wo.id,
            reference=wo.reference,
            due_on=wo.scheduled_for,
        ),
        aggregate_id=s.id,
        estate_id=s.estate_id,
    )


async def visits(session: AsyncSession, s: MaintenanceSchedule) -> tuple[list[dict], list[dict]]:
    """(missed, upcoming): generated visits not completed by their date, and those still ahead."""
    tz = await estates.timezone_of(session, s.estate_id)
    today = to_local(utcnow(), tz).date()
    rows = (
        (
            await session.execute(
                select(WorkOrder).where(WorkOrder.schedule_id == s.id).order_by(WorkOrder.scheduled_for)
            )
        )
        .scalars()
        .all()
    )
    missed, upcoming = [], []
    for wo in rows:
        item = {
            "work_order_id": str(wo.id),
            "reference": wo.reference,
            "due_on": wo.scheduled_for.isoformat(),
            "state": wo.state,
            "completed_on": to_local(wo.completed_at, tz).date().isoformat() if wo.completed_at else None,
        }
        late = wo.completed_at is None or to_local(wo.completed_at, tz).date() > wo.scheduled_for
        if wo.scheduled_for < today and late and wo.state != "cancelled":
            missed.append(item)
        elif wo.scheduled_for >= today:
            upcoming.append(item)
    return missed, upcoming


async def of_estate(
    session: AsyncSession, estate_id: uuid.UUID
) -> list[tuple[MaintenanceSchedule, list, list]]:
    rows = await session.execute(
        select(MaintenanceSchedule)
        .where(MaintenanceSchedule.estate_id == estate_id)
        .order_by(MaintenanceSchedule.next_due_on)
    )
    return [(s, *await visits(session, s)) for s in rows.scalars()]


async def deactivate(session: AsyncSession, schedule_id: uuid.UUID, principal) -> MaintenanceSchedule:
    s = await session.get(MaintenanceSchedule, schedule_id, with_for_update=True)
    if s is None:
        raise ScheduleNotFound(f"schedule {schedule_id} not found")
    principal.require_estate(s.estate_id)
    s.active = False
    await session.flush()
    return s
