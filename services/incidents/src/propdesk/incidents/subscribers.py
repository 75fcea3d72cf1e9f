"""Events incidents consumes: intake's estates, repairs' emergency reports (an elevator entrapment or a fire
becomes an incident, or is linked to the active one), and notify's word on critical alerts (acknowledged: on the
timeline; unacknowledged: the step escalates)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts.intake import (
    EstateRegistered,
    PlaceRegistered,
    UnitRegistered,
    UnitSnapshot,
    UnitUpdated,
)
from propdesk.common.contracts.notify import CriticalAcknowledged, CriticalUnacknowledged, ReplyReceived
from propdesk.common.contracts.repairs import (
    EmergencyReported,
    OutageReported,
    WorkOrderCompleted,
    WorkOrderCreated,
)
from propdesk.common.events import Envelope
from propdesk.incidents.service import alerts, broadcasts, estates, step_orders, triggering

intake = Subscription(producer="intake")
repairs = Subscription(producer="repairs")
notify = Subscription(producer="notify")


@intake.on(EstateRegistered.spec.type)
async def on_estate_registered(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    await estates.provision_estate(session, event, envelope)


@intake.on(UnitRegistered.spec.type)
@intake.on(UnitUpdated.spec.type)
async def on_unit(session: AsyncSession, event: UnitSnapshot, envelope: Envelope) -> None:
    await broadcasts.on_unit(session, event)


@intake.on(PlaceRegistered.spec.type)
async def on_place(session: AsyncSession, event: PlaceRegistered, envelope: Envelope) -> None:
    await broadcasts.on_place(session, event)


@repairs.on(EmergencyReported.spec.type)
async def on_emergency(session: AsyncSession, event: EmergencyReported, envelope: Envelope) -> None:
    who = f"{event.reporter_name} {event.reporter_phone or ''}".strip()
    await triggering.trigger(
        session,
        event.estate_id,
        event.kind,
        description=f"{event.description}（{event.reference}{'，报告人 ' + who if who else ''}）",
        building_id=event.building_id,
        place_id=event.place_id,
        unit_id=event.unit_id,
        location=event.location,
        source="event",
        source_ref=event.reference,
        actor="repairs",
        strict=False,  # a unit or place not projected yet: retried until it is (or dead-lettered)
    )


@repairs.on(OutageReported.spec.type)
async def on_outage_report(session: AsyncSession, event: OutageReported, envelope: Envelope) -> None:
    await triggering.outage_reported(session, event)


@repairs.on(WorkOrderCreated.spec.type)
async def on_work_order_created(session: AsyncSession, event: WorkOrderCreated, envelope: Envelope) -> None:
    await step_orders.created(session, event)


@repairs.on(WorkOrderCompleted.spec.type)
async def on_work_order_completed(
    session: AsyncSession, event: WorkOrderCompleted, envelope: Envelope
) -> None:
    await step_orders.completed(session, event)


@notify.on(CriticalAcknowledged.spec.type)
async def on_alert_acknowledged(
    session: AsyncSession, event: CriticalAcknowledged, envelope: Envelope
) -> None:
    await alerts.acknowledged(session, event)


@notify.on(CriticalUnacknowledged.spec.type)
async def on_alert_unacknowledged(
    session: AsyncSession, event: CriticalUnacknowledged, envelope: Envelope
) -> None:
    await alerts.unacknowledged(session, event)


@notify.on(ReplyReceived.spec.type)
async def on_sms_reply(session: AsyncSession, event: ReplyReceived, envelope: Envelope) -> None:
    await alerts.sms_reply(session, event)


def subscriptions() -> list[Subscription]:
    return [intake, repairs, notify]
