"""Events notify consumes: intake's registry (to know recipients) and every event that tells someone something.
Each is also offered to the outbound webhook subscriptions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts import identity as identity_ev
from propdesk.common.contracts import incidents as incidents_ev
from propdesk.common.contracts import intake as ev
from propdesk.common.db import settings_of
from propdesk.common.events import Envelope
from propdesk.notify.service import codes, digest, duty, estates, fanout, notices, recipients, webhooks
from propdesk.notify.service.routing import ROUTES

intake = Subscription(producer="intake")
identity = Subscription(producer="identity")


@identity.on(identity_ev.SignInCodeIssued.spec.type)
async def on_sign_in_code(
    session: AsyncSession, event: identity_ev.SignInCodeIssued, envelope: Envelope
) -> None:
    await codes.send(session, event, envelope)


@intake.on(ev.EstateRegistered.spec.type)
async def on_estate_registered(session: AsyncSession, event: ev.EstateRegistered, envelope: Envelope) -> None:
    await estates.provision_estate(session, event, envelope)


async def on_resident(session: AsyncSession, event: ev.ResidentSnapshot, envelope: Envelope) -> None:
    await recipients.on_resident(session, event)


async def on_staff(session: AsyncSession, event: ev.StaffSnapshot, envelope: Envelope) -> None:
    await recipients.on_staff(session, event)


async def on_occupancy(session: AsyncSession, event: ev.OccupancySnapshot, envelope: Envelope) -> None:
    await recipients.on_occupancy(session, event, started=envelope.type == ev.OccupancyStarted.spec.type)


async def on_unit(session: AsyncSession, event: ev.UnitSnapshot, envelope: Envelope) -> None:
    await recipients.on_unit(session, event)


URGENT_WORK = ("emergency", "urgent")


async def on_notifying_event(session: AsyncSession, event, envelope: Envelope) -> None:
    """Who hears of it (`routing`). A routine staff alert (not critical, not one of `staff_urgent_categories`,
    not about urgent or emergency work) reaches staff in the inbox at once and in their next digest; residents
    as usual."""
    people, category, critical = await ROUTES[envelope.type](session, event, envelope)
    context = event.model_dump(mode="json")
    urgent = category in settings_of(session).staff_urgent_categories or context.get("urgency") in URGENT_WORK
    routine = not critical and not urgent
    if routine:
        for person in [p for p in people if p.kind == "staff"]:
            await digest.defer_to_digest(
                session,
                source_event_id=envelope.id,
                event_type=envelope.type,
                estate_id=envelope.estate_id,
                recipient=person,
                category=category,
                context=context,
            )
    audience = fanout.Audience(
        envelope.id, envelope.type, envelope.estate_id, category, critical, routine_staff=routine
    )
    await fanout.fan_out(session, audience, people, context)


async def on_broadcast_requested(session: AsyncSession, event, envelope: Envelope) -> None:
    """incidents asks for a broadcast (an emergency, a planned outage): everyone in the scope, set-based."""
    await notices.send(
        session,
        event.estate_id,
        texts=event.model_dump(
            mode="json", include={*notices.TEXTS, "reference", "incident_id", "outage_id"}
        ),
        category={"incident": "emergency", "incident_all_clear": "emergency"}.get(event.purpose, "outage"),
        critical=event.critical,
        source_event_id=envelope.id,
        unit_ids=list(event.unit_ids),
        building_ids=list(event.building_ids),
        floors=list(event.floors),
        staff_roles=list(event.staff_roles),
        all_residents=event.all_residents,
        refuse_foreign=False,
    )


for model in (ev.ResidentRegistered, ev.ResidentUpdated):
    intake.handlers[model.spec.type] = on_resident
for model in (ev.StaffRegistered, ev.StaffUpdated):
    intake.handlers[model.spec.type] = on_staff
for model in (ev.UnitRegistered, ev.UnitUpdated):
    intake.handlers[model.spec.type] = on_unit
for model in (ev.OccupancyStarted, ev.OccupancyEnded):
    intake.handlers[model.spec.type] = on_occupancy


@intake.on(ev.DutyShiftScheduled.spec.type)
async def on_shift_scheduled(session: AsyncSession, event: ev.DutyShiftScheduled, envelope: Envelope) -> None:
    await duty.on_scheduled(session, event)


@intake.on(ev.DutyShiftCancelled.spec.type)
async def on_shift_cancelled(session: AsyncSession, event: ev.DutyShiftCancelled, envelope: Envelope) -> None:
    await duty.on_cancelled(session, event)


repairs = Subscription(producer="repairs")
incidents = Subscription(producer="incidents")
billing = Subscription(producer="billing")
BY_PRODUCER = {"intake": intake, "repairs": repairs, "incidents": incidents, "billing": billing}
for event_type in ROUTES:
    BY_PRODUCER[event_type.split(".", 1)[0]].handlers[event_type] = on_notifying_event
incidents.handlers[incidents_ev.BroadcastRequested.spec.type] = on_broadcast_requested


async def offered_only(session: AsyncSession, event, envelope: Envelope) -> None:
    """Events no service acts on, published for outside subscribers: notify offers them to the webhooks."""


for model in (
    ev.EstateOnboardingCompleted,
    ev.CaseClosed,
    ev.FollowUpCompleted,
    ev.ViolationRectified,
    ev.MessageAcknowledged,
):
    intake.handlers[model.spec.type] = offered_only
incidents.handlers[incidents_ev.ReportLinked.spec.type] = offered_only
incidents.handlers[incidents_ev.IncidentStateChanged.spec.type] = offered_only


def _with_webhooks(handler):
    """Every event notify consumes is also offered to the outbound webhook subscriptions."""

    async def handle(session: AsyncSession, event, envelope: Envelope) -> None:
        await handler(session, event, envelope)
        await webhooks.enqueue(session, envelope)

    return handle


for sub in BY_PRODUCER.values():
    sub.handlers = {event_type: _with_webhooks(h) for event_type, h in sub.handlers.items()}


def subscriptions() -> list[Subscription]:
    return [*BY_PRODUCER.values(), identity]  # identity's codes are never offered to outbound webhooks
