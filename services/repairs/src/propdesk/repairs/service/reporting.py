"""Reporting: a resident's report, the desk's request, a vacant-unit finding or a preventive schedule becomes a
work order (or joins the open one for the same common-area problem), numbered, on its SLA clocks, dispatched
at once when the estate dispatches automatically; an entrapment or a fire is reported to incidents, a power
or water outage counted there."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import taxonomy, uow
from propdesk.common.contracts import repairs as ev
from propdesk.common.db import NumberBlock
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref, uuid7
from propdesk.common.timeutil import to_local, utcnow
from propdesk.repairs.errors import LocationNotFound
from propdesk.repairs.models import Building, Place, Unit, WorkOrder, WorkOrderReporter
from propdesk.repairs.service import assignment, clocks, estates, states, timeline
from propdesk.repairs.service.registry import LOCATIONS

NUMBERS = NumberBlock("repairs.work_order_number")


async def locate(
    session: AsyncSession, estate_id: uuid.UUID, unit_id, place_id
) -> tuple[uuid.UUID | None, str, str | None]:
    """(building, a readable location, the unit's kind) from the registry projection."""
    return await LOCATIONS.load(
        session, (estate_id, unit_id, place_id), lambda: _locate(session, estate_id, unit_id, place_id)
    )


async def _locate(
    session: AsyncSession, estate_id: uuid.UUID, unit_id, place_id
) -> tuple[uuid.UUID | None, str, str | None]:
    if unit_id is not None:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise LocationNotFound(f"unit {unit_id} is not known in this estate")
        return unit.building_id, unit.number, unit.kind
    place = await session.get(Place, place_id)
    if place is None or place.estate_id != estate_id:
        raise LocationNotFound(f"place {place_id} is not known in this estate")
    label = place.name
    if place.building_id is not None and (b := await session.get(Building, place.building_id)) is not None:
        label = f"{b.name} {place.name}"
    return place.building_id, label, None


async def _duplicate_of(
    session: AsyncSession, place_id, category: str, window_minutes: int
) -> WorkOrder | None:
    """The open order for the same common-area problem reported within the window, if any."""
    if place_id is None or window_minutes <= 0:
        return None
    await uow.flush(session)  # an order this unit of work reported a moment ago counts too
    since = utcnow() - dt.timedelta(minutes=window_minutes)
    row = await session.execute(
        select(WorkOrder)
        .where(
            WorkOrder.place_id == place_id,
            WorkOrder.category == category,
            WorkOrder.open.is_(True),
            WorkOrder.state.not_in(states.DONE),
            WorkOrder.created_at >= since,
        )
        .order_by(WorkOrder.created_at)
        .limit(1)
        .with_for_update()
    )
    return row.scalar_one_or_none()


async def report(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    unit_id: uuid.UUID | None,
    place_id: uuid.UUID | None,
    category: str,
    problem: str,
    urgency: str | None,
    description: str,
    photos: list[str],
    source: str,
    reporter_resident_id: uuid.UUID | None,
    reporter_name: str,
    reporter_phone: str | None,
    reporter_language: str = "zh-CN",
    preferred_from: dt.datetime | None = None,
    preferred_to: dt.datetime | None = None,
    request_id: uuid.UUID | None = None,
    payable: bool | None = None,
    schedule_id: uuid.UUID | None = None,
    scheduled_for: dt.date | None = None,
    actor: str = "system",
    incident: tuple[uuid.UUID, uuid.UUID | None, str] | None = None,
) -> tuple[WorkOrder, bool]:
    """Open a work order, or link the report to an open one for the same common-area problem.
    Returns (order, linked). A new order, its reporter, timeline, clock timers and events are staged in the
    unit of work: written with it, already dispatched, in one statement."""
    await estates.require_estate(session, estate_id)
    found = taxonomy.problem(category, problem)
    if found is None:
        codes = ", ".join(p.code for p in taxonomy.PROBLEMS.get(category, [])) + ", other"
        raise InvalidInput(
            Text(
                f"{category} 类别下没有问题 {problem}（可选：{codes}）",
                f"unknown problem {problem!r} for {category} (one of: {codes})",
            )
        )
    if incident is not None and unit_id is None and place_id is None:
        _, building_id, location = incident  # an incident's step: where the incident is (a building, or all)
        unit_kind = None
    else:
        building_id, location, unit_kind = await locate(session, estate_id, unit_id, place_id)
    settings = await estates.settings_for(session, estate_id)
    reporter = WorkOrderReporter(
        resident_id=reporter_resident_id,
        name=reporter_name or "",
        phone=reporter_phone,
        description=description,
        request_id=request_id,
    )
    duplicate = await _duplicate_of(session, place_id, category, settings.duplicate_window_minutes)
    if duplicate is not None:
        reporter.work_order_id = duplicate.id
        uow.add(session, reporter)
        timeline.entry(
            session,
            duplicate,
            "duplicate_reported",
            actor,
            description,
            reporter=reporter_name,
            request_id=request_id,
        )
        if request_id is not None:  # the desk's request links to the order it joined
            timeline.record(session, duplicate, created_event(duplicate, request_id))
        return duplicate, True

    now = utcnow()
    number = await NUMBERS.next(session)
    tz = await estates.timezone_of(session, estate_id)
    wo = WorkOrder(
        id=uuid7(),
        estate_id=estate_id,
        reference=human_ref("WO", f"{to_local(now, tz):%Y%m}", number),
        source=source,
        request_id=request_id,
        unit_id=unit_id,
        place_id=place_id,
        building_id=building_id,
        location=location,
        category=category,
        problem=found.code,
        urgency=urgency or found.urgency,
        payable=payable if payable is not None else unit_kind is not None,
        description=description,
        photos=list(photos),
        preferred_from=preferred_from,
        preferred_to=preferred_to,
        reporter_resident_id=reporter_resident_id,
        reporter_name=reporter_name or "",
        reporter_phone=reporter_phone,
        reporter_language=reporter_language,
        state="reported",
        open=True,
        declined_by=[],
        breached=False,
        reopen_count=0,
        labour_minutes=0,
        completion_photos=[],
        schedule_id=schedule_id,
        scheduled_for=scheduled_for,
        incident_id=incident[0] if incident else None,
    )
    wo.created_at = now
    reporter.work_order_id = wo.id
    uow.add(session, wo, reporter)
    running = clocks.start(await estates.targets(session, estate_id, category, wo.urgency), now)
    clocks.store(wo, running)
    timeline.entry(session, wo, "reported", actor, description, before="", source=source)
    timeline.record(session, wo, created_event(wo, request_id))
    if found.emergency:
        timeline.record(
            session,
            wo,
            ev.EmergencyReported(
                work_order_id=wo.id,
                estate_id=estate_id,
                reference=wo.reference,
                kind=found.emergency,
                building_id=building_id,
                place_id=place_id,
                unit_id=unit_id,
                location=location,
                description=description,
                reported_at=now,
                reporter_name=reporter_name or "",
                reporter_phone=reporter_phone,
            ),
        )
    if found.outage:
        timeline.record(
            session,
            wo,
            ev.OutageReported(
                work_order_id=wo.id,
                estate_id=estate_id,
                reference=wo.reference,
                kind=found.outage,
                building_id=building_id,
                unit_id=unit_id,
                location=location,
                reported_at=now,
            ),
        )
    if settings.auto_dispatch:
        reporters = [reporter_resident_id] if reporter_resident_id else []
        await assignment.dispatch_order(session, wo, running, now, actor="system", reporters=reporters)
    clocks.arm(session, wo, running, new=True)
    return wo, False


def created_event(wo: WorkOrder, request_id: uuid.UUID | None) -> ev.WorkOrderCreated:
    return ev.WorkOrderCreated(
        work_order_id=wo.id,
        estate_id=wo.estate_id,
        reference=wo.reference,
        request_id=request_id,
        unit_id=wo.unit_id,
        place_id=wo.place_id,
        category=wo.category,
        urgency=wo.urgency,
    )
