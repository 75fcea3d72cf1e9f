"""identity's sign-in codes, sent by SMS. The code arrives sealed and stays sealed in the message's context;
the sender opens it as the SMS goes out (`sending`), so no table, log or inbox holds it in the clear, and a
code whose time has passed is not sent at all."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import uow
from propdesk.common.contracts.identity import SignInCodeIssued
from propdesk.common.db import settings_of
from propdesk.common.events import Envelope
from propdesk.common.ids import uuid7
from propdesk.common.logging import get_logger
from propdesk.common.sealing import unseal
from propdesk.common.timeutil import utcnow
from propdesk.notify.models import Message, Recipient
from propdesk.notify.service import estates
from propdesk.notify.service.fanout import add_delivery
from propdesk.notify.service.planning import Contact, Planned

log = get_logger("propdesk.notify")
EVENT = SignInCodeIssued.spec.type
MASK = "••••••"


async def send(session: AsyncSession, event: SignInCodeIssued, envelope: Envelope) -> None:
    now = utcnow()
    if event.expires_at <= now:
        log.info("code.expired_before_sending", event_id=str(envelope.id))
        return
    if await session.get(Recipient, event.resident_id) is None:
        log.warning("code.unknown_recipient", event_id=str(envelope.id))
        return
    minutes = max(1, round((event.expires_at - now).total_seconds() / 60))
    context = {
        "estate": await estates.context(session, event.estate_id),
        "minutes": minutes,
        "sealed_code": event.sealed_code,
        "expires_at": event.expires_at.isoformat(),
    }
    zh = event.language != "en"
    message = Message(
        id=uuid7(),
        estate_id=event.estate_id,
        source_event_id=envelope.id,
        event_type=EVENT,
        recipient_id=event.resident_id,
        category="security",
        critical=False,
        language=event.language,
        title="登录验证码" if zh else "Sign-in code",
        body=f"验证码 {MASK} 已通过短信发送。" if zh else f"Code {MASK} was sent by SMS.",
        context=json.loads(json.dumps(context, default=str)),
        created_at=now,
    )
    uow.add(session, message)
    add_delivery(
        session,
        message,
        Contact(event.resident_id, event.phone, None),
        Planned("sms", "pending", send_at=now),
    )


def opened(session: AsyncSession, context: dict) -> dict | None:
    """A code message's context as its template needs it at sending time, the code opened; None once the code
    has expired (nothing stale goes out)."""
    if context.get("expires_at", "") <= utcnow().isoformat():
        return None
    return {**context, "code": unseal(context["sealed_code"], settings_of(session).sealing_key)}
