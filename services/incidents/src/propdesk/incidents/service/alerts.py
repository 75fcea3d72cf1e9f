"""What notify tells incidents: who acknowledged an incident's critical alert goes on its timeline; an alert
nobody acknowledged through its whole chain (push, SMS, voice) escalates its step at once, to the next level
of the step's chain, instead of waiting for the step's deadline; and a resident's SMS reply to a broadcast
(1 safe, 2 need help) counts as their answer in the tally."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.contracts.notify import (
    CriticalAcknowledged,
    CriticalAlert,
    CriticalUnacknowledged,
    ReplyReceived,
)
from propdesk.common.timeutil import utcnow
from propdesk.incidents.models import Incident, IncidentEntry, IncidentStep, Unit
from propdesk.incidents.playbook import STAFF_OF_ROLE
from propdesk.incidents.service.broadcasts import record_reply
from propdesk.incidents.service.escalation import escalate
from propdesk.incidents.service.incidents import entry, snapshot

TRIGGERED = "incidents.incident.triggered"


async def _incident(session: AsyncSession, alert: CriticalAlert) -> Incident | None:
    if alert.source_kind != "incident" or alert.source_id is None:
        return None  # another kind of alert (a work order's, a help request's…): not incidents' to act on
    try:
        incident_id = uuid.UUID(alert.source_id)
    except ValueError:
        return None
    return await session.get(Incident, incident_id, with_for_update=True)


def _about(alert: CriticalAlert) -> dict:
    return {
        "recipient_id": alert.recipient_id,
        "recipient": alert.recipient_name,
        "step": alert.step,
        "channels": alert.channels_tried,
        "alert_event_id": alert.source_event_id,
    }


async def acknowledged(session: AsyncSession, alert: CriticalAcknowledged) -> None:
    incident = await _incident(session, alert)
    if incident is None:
        return
    who = alert.recipient_name or str(alert.recipient_id)
    entry(session, incident, "alert_acknowledged", who, None, **_about(alert))
    await session.flush()


async def unacknowledged(session: AsyncSession, alert: CriticalUnacknowledged) -> None:
    """On the timeline; then, unless someone else acknowledged the same alert or it escalated already (every
    recipient's chain ends with its own event), the step goes one level up: the one the alert named, else the
    incident's most urgent pending step."""
    incident = await _incident(session, alert)
    if incident is None:
        return
    entry(session, incident, "alert_unacknowledged", "system", None, **_about(alert))
    if not incident.active or incident.state == "resolved":
        await session.flush()
        return
    seen = (
        await session.execute(
            select(IncidentEntry.id)
            .where(
                IncidentEntry.incident_id == incident.id,
                IncidentEntry.kind.in_(("alert_acknowledged", "escalated")),
                IncidentEntry.data["alert_event_id"].astext == str(alert.source_event_id),
            )
            .limit(1)
        )
    ).first()
    pending = select(IncidentStep).where(
        IncidentStep.incident_id == incident.id, IncidentStep.state == "pending"
    )
    if alert.step:
        pending = pending.where(IncidentStep.key == alert.step)
    step = (await session.execute(pending.order_by(IncidentStep.due_at.nulls_last()).limit(1))).scalar()
    if seen is not None or step is None:
        await session.flush()
        return
    book = snapshot(incident)
    repeat, event = escalate(
        session,
        incident,
        step,
        book,
        utcnow(),
        cause={"cause": "alert_unacknowledged", "alert_event_id": alert.source_event_id},
        to_level=_past_the_silent(alert, book.chain(book.step(step.key)), step.escalation_level),
    )
    timers.schedule_many(session, [repeat])
    await session.flush()
    outbox.record(session, event, aggregate_id=incident.id, estate_id=incident.estate_id)


def _past_the_silent(alert: CriticalAlert, chain: list[str], level: int) -> int:
    """The level to wake: the next one; for the trigger's own alert (it went to the duty officers) the first
    level that is not theirs, so the escalation does not wake the same silent phone again."""
    level += 1
    if alert.source_event_type == TRIGGERED:
        while level <= len(chain) and STAFF_OF_ROLE.get(chain[level - 1], (None, None))[0] == "duty_officer":
            level += 1
    return level


async def sms_reply(session: AsyncSession, event: ReplyReceived) -> None:
    """The answer for the resident's unit in the incident's building (or their first unit in the estate)."""
    incident = await session.get(Incident, event.incident_id, with_for_update=True)
    if incident is None or not incident.active or not event.unit_ids:
        return
    units = list(
        (
            await session.execute(
                select(Unit).where(Unit.id.in_(event.unit_ids), Unit.estate_id == incident.estate_id)
            )
        ).scalars()
    )
    if not units:
        raise LookupError(f"{incident.reference}: the replying resident's units are not known here yet")
    unit = next((u for u in units if u.building_id == incident.building_id), units[0])
    note = None if event.text.strip() in ("1", "2") else event.text
    await record_reply(
        session, incident, unit, resident=str(event.resident_id), status=event.status, note=note
    )
