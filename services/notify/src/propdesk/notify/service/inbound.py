"""SMS replies through the provider's inbound callback: a resident answers an emergency broadcast with 1 (safe)
or 2 (need help). The reply answers the latest broadcast that asked them (by their phone), acknowledges it (its
fallback chain stops) and goes to incidents as `notify.reply.received`, counted like an answer in the app."""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.notify import ReplyReceived
from propdesk.common.timeutil import utcnow
from propdesk.notify.models import Message, Recipient
from propdesk.notify.schemas import InboundBody
from propdesk.notify.service import chain, providers

ANSWERS = {
    "1": "safe",
    "平安": "safe",
    "安全": "safe",
    "safe": "safe",
    "ok": "safe",
    "2": "need_help",
    "需要帮助": "need_help",
    "求助": "need_help",
    "help": "need_help",
    "need help": "need_help",
}
WITHIN = dt.timedelta(hours=48)  # an answer is to a broadcast of the last two days


def answer_of(text: str) -> str | None:
    return ANSWERS.get(re.sub(r"[\s。.!！]+$", "", text.strip().lower()))


def e164(sender: str) -> str | None:
    """The sender as recipients' phones are kept (E.164, as intake normalises them), or None."""
    try:
        number = phonenumbers.parse(sender, "CN")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def received(session: AsyncSession, provider: str, request) -> dict:
    return await providers.from_provider(
        session, provider, request, InboundBody, "inbound", lambda sms: _apply(session, sms)
    )


async def _apply(session: AsyncSession, sms: InboundBody) -> dict:
    status, phone = answer_of(sms.text), e164(sms.sender)
    if status is None:
        return {"understood": False}
    found = (
        phone
        and (
            await session.execute(
                select(Message, Recipient)
                .join(Recipient, Recipient.id == Message.recipient_id)
                .where(
                    Recipient.phone == phone,
                    Recipient.kind == "resident",
                    Message.context["incident_id"].astext.is_not(None),  # an incident's broadcast
                    Message.created_at > utcnow() - WITHIN,
                )
                .order_by(Message.created_at.desc())
                .limit(1)
            )
        ).first()
    )
    if found is None:
        return {"understood": True, "matched": False, "status": status}
    message, person = found
    await chain.acknowledge(session, message)
    outbox.record(
        session,
        ReplyReceived(
            incident_id=message.context["incident_id"],
            estate_id=message.estate_id,
            resident_id=person.id,
            unit_ids=list(person.units or []),
            status=status,
            message_id=message.id,
            text=sms.text,
        ),
        aggregate_id=message.context["incident_id"],
        estate_id=message.estate_id,
    )
    await session.flush()
    return {
        "understood": True,
        "matched": True,
        "status": status,
        "reference": message.context.get("reference"),
    }
