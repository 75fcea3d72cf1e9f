"""A critical message's fallback chain (push → SMS → voice): the next step when nobody acknowledged in time,
and the acknowledgement that stops it. Both end with an event: acknowledged, or unacknowledged after the
last step."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.contracts.notify import CriticalAcknowledged, CriticalUnacknowledged
from propdesk.common.db import settings_of
from propdesk.common.timeutil import utcnow
from propdesk.notify.models import Message
from propdesk.notify.schemas import source_of
from propdesk.notify.service import fanout, quiet, recipients
from propdesk.notify.service.planning import Contact, chain_for, plan_delivery
from propdesk.notify.service.providers import chain_channels


def _key(message_id: uuid.UUID) -> str:
    return f"chain:{message_id}"


async def _chain_of(session: AsyncSession, message: Message) -> tuple[Contact | None, list[str]]:
    person = await recipients.get(session, message.recipient_id)
    if person is None:
        return None, []
    contact = Contact(person.id, person.phone, person.email)
    return contact, chain_for(contact, await chain_channels(session, message.estate_id))


async def _about(session: AsyncSession, message: Message) -> dict:
    """What an acknowledgement event says about the message: whose, and what it concerned."""
    person = await recipients.get(session, message.recipient_id)
    source = source_of(message.context)
    return {
        "message_id": message.id,
        "source_event_id": message.source_event_id,
        "recipient_id": message.recipient_id,
        "recipient_name": person.name if person else None,
        "source_event_type": message.event_type,
        "source_kind": source.kind if source else None,
        "source_id": source.id if source else None,
        "source_reference": source.reference if source else None,
        "step": (message.context or {}).get("step"),
    }


async def step(session: AsyncSession, message_id: uuid.UUID) -> None:
    """Nobody acknowledged in time: the chain's next channel, or the report that it ended unacknowledged."""
    message = await timers.lock_or_defer(session, Message, message_id)
    if message is None or message.acknowledged_at is not None:
        return
    contact, chain = await _chain_of(session, message)
    now = utcnow()
    if contact is not None and message.chain_step < len(chain):
        channel = chain[message.chain_step]
        message.chain_step += 1
        planned = plan_delivery(
            contact,
            channel,
            critical=True,
            enabled=True,
            quiet_until=await quiet.quiet_until(session, message.estate_id, now),
            now=now,
        )
        fanout.add_delivery(session, message, contact, planned)
        timers.schedule(
            session,
            kind="critical.chain",
            key=_key(message.id),
            due_at=now + dt.timedelta(seconds=settings_of(session).chain_step_seconds),
            payload={"message_id": str(message.id)},
        )
    elif message.chain_step == len(chain):
        message.chain_step += 1  # reported once
        outbox.record(
            session,
            CriticalUnacknowledged(**await _about(session, message), channels_tried=chain),
            aggregate_id=message.source_event_id,
            estate_id=message.estate_id,
        )
    await session.flush()


async def acknowledge(session: AsyncSession, message: Message) -> Message:
    if message.acknowledged_at is not None:
        return message
    now = utcnow()
    message.read_at, message.acknowledged_at = message.read_at or now, now
    if message.critical:
        timers.cancel(session, _key(message.id))
        _, chain = await _chain_of(session, message)
        outbox.record(
            session,
            CriticalAcknowledged(
                **await _about(session, message), channels_tried=chain[: message.chain_step]
            ),
            aggregate_id=message.source_event_id,
            estate_id=message.estate_id,
        )
    await session.flush()
    return message
