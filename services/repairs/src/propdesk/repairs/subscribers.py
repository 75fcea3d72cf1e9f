"""Events repairs consumes: intake's registry (estates, buildings, units, places, technicians among the
staff), its duty roster (on-call engineers), the desk's repair requests, follow-ups scored badly (reopen the
work order), and incidents' playbook steps that need work done, and the incidents' end."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts import intake as ev
from propdesk.common.contracts.incidents import IncidentStateChanged, RepairRequested
from propdesk.common.events import Envelope
from propdesk.repairs.models import Unit
from propdesk.repairs.service import deadlines, estates, incident_orders, registry, reporting, technicians

intake = Subscription(producer="intake")
incidents = Subscription(producer="incidents")


@intake.on(ev.EstateRegistered.spec.type)
async def on_estate_registered(session: AsyncSession, event: ev.EstateRegistered, envelope: Envelope) -> None:
    await estates.provision_estate(session, event, envelope)


@intake.on(ev.BuildingRegistered.spec.type)
async def on_building(session: AsyncSession, event: ev.BuildingRegistered, envelope: Envelope) -> None:
    await registry.on_building(session, event)


@intake.on(ev.UnitRegistered.spec.type)
@intake.on(ev.UnitUpdated.spec.type)
async def on_unit(session: AsyncSession, event: ev.UnitSnapshot, envelope: Envelope) -> None:
    await registry.on_unit(session, event)


@intake.on(ev.PlaceRegistered.spec.type)
async def on_place(session: AsyncSession, event: ev.PlaceRegistered, envelope: Envelope) -> None:
    await registry.on_place(session, event)


@intake.on(ev.StaffRegistered.spec.type)
@intake.on(ev.StaffUpdated.spec.type)
async def on_staff(session: AsyncSession, event: ev.StaffSnapshot, envelope: Envelope) -> None:
    await registry.on_staff(session, event)


@intake.on(ev.DutyShiftScheduled.spec.type)
@intake.on(ev.DutyShiftCancelled.spec.type)
async def on_roster_shift(session: AsyncSession, event: ev.DutyShiftSnapshot, envelope: Envelope) -> None:
    scheduled = envelope.type == ev.DutyShiftScheduled.spec.type
    await technicians.on_roster_shift(session, event, scheduled=scheduled)


@intake.on(ev.RepairRequested.spec.type)
async def on_repair_requested(session: AsyncSession, event: ev.RepairRequested, envelope: Envelope) -> None:
    """The desk's request becomes a work order (or joins an open one for the same common-area problem)."""
    unit_id = event.unit_id
    if unit_id is not None and await session.get(Unit, unit_id) is None:
        unit_id = None  # not projected (yet): fall back to the place if any
    if unit_id is None and event.place_id is None:
        raise LookupError(f"repair request {event.request_id}: its unit is not known to repairs yet")
    await reporting.report(
        session,
        event.estate_id,
        unit_id=unit_id,
        place_id=event.place_id if unit_id is None else None,
        category=event.category,
        problem=event.problem,  # the desk's classification: an entrapment or a fire reaches incidents too
        urgency=event.urgency,
        description=event.description,
        photos=event.photos,
        source="vacant_unit" if event.source == "vacant_unit" else "desk",
        reporter_resident_id=event.reporter.resident_id,
        reporter_name=event.reporter.name,
        reporter_phone=event.reporter.phone,
        reporter_language=event.reporter.language,
        preferred_from=event.preferred_from,
        preferred_to=event.preferred_to,
        request_id=event.request_id,
        actor=envelope.actor.id if envelope.actor else "desk",
    )


@intake.on(ev.FollowUpDissatisfied.spec.type)
async def on_dissatisfied(session: AsyncSession, event: ev.FollowUpDissatisfied, envelope: Envelope) -> None:
    if event.work_order_id is not None:
        await deadlines.reopen_from_follow_up(
            session, event.work_order_id, event.score, event.complaint_reference
        )


@incidents.on(RepairRequested.spec.type)
async def on_incident_repair(session: AsyncSession, event: RepairRequested, envelope: Envelope) -> None:
    await incident_orders.requested(session, event)


@incidents.on(IncidentStateChanged.spec.type)
async def on_incident_changed(session: AsyncSession, event: IncidentStateChanged, envelope: Envelope) -> None:
    await incident_orders.incident_changed(session, event)


def subscriptions() -> list[Subscription]:
    return [intake, incidents]
