"""Triggering: a duty officer, repairs' emergency report, several outage reports from one building or the
alarm panel start a playbook; a new report about an active incident (same playbook, same building) is linked
instead of opened again. Every step's deadline becomes a durable timer."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, projections, timers
from propdesk.common.contracts import incidents as ev
from propdesk.common.db import settings_of
from propdesk.common.ids import human_ref
from propdesk.common.timeutil import to_local, utcnow
from propdesk.incidents.errors import PlaceNotFound, PlaybookNotFound, UnitNotFound, WrongEstate
from propdesk.incidents.models import Incident, IncidentStep, OutageReport, Place, Unit, estate
from propdesk.incidents.service import playbooks, step_orders
from propdesk.incidents.service.incidents import _key, entry, ref


async def _where(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    building_id: uuid.UUID | None,
    unit_id: uuid.UUID | None,
    place_id: uuid.UUID | None,
    floors: list[int] | None,
    strict: bool,
) -> tuple[uuid.UUID | None, list[int]]:
    """Where a report is: a unit or a place named must exist (404; an event's, not projected yet, is retried)
    and be the estate's (an incident cannot be aimed at another estate's residents); the building and floor
    come from the unit or the place when the report does not give them. Returns (building, floors)."""
    floors = list(floors or [])
    for model, record_id, missing in ((Unit, unit_id, UnitNotFound), (Place, place_id, PlaceNotFound)):
        if record_id is None:
            continue
        found = await session.get(model, record_id)
        if found is None:
            what = "unit" if model is Unit else "place"
            if not strict:
                raise LookupError(f"{what} {record_id} is not known to incidents yet")
            raise missing(f"{what} {record_id} is not known")
        if found.estate_id != estate_id:
            raise WrongEstate(f"{record_id} is not of this estate")
        if building_id is not None and found.building_id is not None and found.building_id != building_id:
            raise WrongEstate(f"{record_id} is not in building {building_id}")
        building_id = building_id or found.building_id
        if not floors and found.floor is not None:
            floors = [found.floor]
    if building_id is not None:
        elsewhere = await session.scalar(
            select(Unit.estate_id)
            .where(Unit.building_id == building_id, Unit.estate_id != estate_id)
            .limit(1)
        )
        if elsewhere is not None:
            raise WrongEstate(f"building {building_id} is not a building of this estate")
    return building_id, floors


async def trigger(
    session: AsyncSession,
    estate_id: uuid.UUID,
    key: str,
    *,
    description: str,
    building_id: uuid.UUID | None = None,
    place_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    floors: list[int] | None = None,
    location: str = "",
    drill: bool = False,
    source: str = "api",
    source_ref: str | None = None,
    actor: str,
    strict: bool = True,
) -> tuple[Incident, bool]:
    """Start the estate's playbook `key`, or link this report to the active incident it describes: the same
    playbook and the same building (or, without one, the same place), whatever the playbook's broadcast scope
    (two illnesses in two buildings are two incidents). A report that says nowhere is never linked. Returns
    (incident, linked)."""
    await projections.require_known_estate(session, estate, estate_id, "incidents")
    building_id, floors = await _where(
        session,
        estate_id,
        building_id=building_id,
        unit_id=unit_id,
        place_id=place_id,
        floors=floors,
        strict=strict,
    )
    found = await playbooks.effective(session, estate_id, key)
    if found is None:
        raise PlaybookNotFound(f"no playbook {key!r} for this estate")
    book, _ = found
    if building_id is not None:
        same_place = Incident.building_id == building_id
    elif place_id is not None:
        same_place = Incident.place_id == place_id
    else:
        same_place = None  # nowhere said: a new incident, never someone else's
    if not drill and same_place is not None:
        active = (
            await session.execute(
                select(Incident)
                .where(
                    Incident.estate_id == estate_id,
                    Incident.playbook_key == key,
                    Incident.active.is_(True),
                    Incident.drill.is_(False),
                    same_place,
                )
                .order_by(Incident.triggered_at)
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if active is not None:
            active.reports += 1
            entry(session, active, "report_linked", actor, description, source=source, source_ref=source_ref)
            await session.flush()
            outbox.record(
                session,
                ev.ReportLinked(**ref(active), reports=active.reports, source_ref=source_ref),
                aggregate_id=active.id,
                estate_id=estate_id,
            )
            return active, True
    now = utcnow()
    number = (await session.execute(text("SELECT nextval('incidents.incident_number')"))).scalar_one()
    incident = Incident(
        estate_id=estate_id,
        reference=human_ref("DRL" if drill else "INC", f"{to_local(now):%Y%m}", number),
        playbook_key=book.key,
        playbook_version=book.version,
        playbook=book.model_dump(mode="json"),
        severity=book.severity,
        drill=drill,
        state="triggered",
        active=True,
        title=book.name.zh + (" （演练）" if drill else ""),
        description=description,
        building_id=building_id,
        place_id=place_id,
        unit_id=unit_id,
        floors=list(floors or []),
        location=location,
        source=source,
        source_ref=source_ref,
        reports=1,
        triggered_by=actor,
        triggered_at=now,
    )
    session.add(incident)
    await session.flush()
    steps = [
        IncidentStep(
            incident_id=incident.id,
            key=step.key,
            position=position,
            role=step.role,
            kind=step.kind,
            due_at=now + dt.timedelta(minutes=step.deadline_minutes),
            state="pending",
            escalation_level=0,
            escalations=0,
        )
        for position, step in enumerate(book.steps)
    ]
    session.add_all(steps)
    step_orders.request(session, incident, book, steps)
    timers.schedule_many(
        session,
        [
            {
                "kind": "incident.step_due",
                "key": _key(incident.id, step.key),
                "due_at": now + dt.timedelta(minutes=step.deadline_minutes),
                "payload": {"incident_id": str(incident.id), "step": step.key},
            }
            for step in book.steps
        ],
    )
    entry(
        session,
        incident,
        "triggered",
        actor,
        description,
        playbook=book.key,
        version=book.version,
        drill=drill,
        source=source,
    )
    await session.flush()
    outbox.record(
        session,
        ev.IncidentTriggered(**ref(incident), description=description, source=source, triggered_at=now),
        aggregate_id=incident.id,
        estate_id=estate_id,
    )
    return incident, False


async def outage_reported(session: AsyncSession, event) -> Incident | None:
    """Count no-power / no-water reports per building; enough of them within the window start the outage
    playbook (later ones join the active incident)."""
    settings = settings_of(session)
    session.add(
        OutageReport(
            estate_id=event.estate_id,
            building_id=event.building_id,
            kind=event.kind,
            reference=event.reference,
            reported_at=event.reported_at,
        )
    )
    await session.flush()
    since = event.reported_at - dt.timedelta(minutes=settings.outage_reports_window_minutes)
    recent = (
        await session.execute(
            select(func.count())
            .select_from(OutageReport)
            .where(
                OutageReport.estate_id == event.estate_id,
                OutageReport.building_id == event.building_id,
                OutageReport.kind == event.kind,
                OutageReport.reported_at >= since,
            )
        )
    ).scalar_one()
    if recent < settings.outage_reports_threshold:
        return None
    incident, _ = await trigger(
        session,
        event.estate_id,
        f"{event.kind}_outage",
        description=f"{recent} 户在 {settings.outage_reports_window_minutes} 分钟内报告{'停电' if event.kind == 'power' else '停水'} "
        f"({recent} reports within {settings.outage_reports_window_minutes} min; latest {event.reference})",
        building_id=event.building_id,
        location=event.location,
        source="event",
        source_ref=event.reference,
        actor="repairs",
    )
    return incident
