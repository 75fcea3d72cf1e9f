"""Staff digests: alerts in the digest categories wait and go out grouped, one message per interval."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import timers
from propdesk.common.db import settings_of
from propdesk.common.timeutil import utcnow
from propdesk.notify.config import NotifySettings
from propdesk.notify.models import DigestItem
from propdesk.notify.service import fanout, recipients
from propdesk.notify.service.recipients import Person
from propdesk.notify.service.render import render
from propdesk.notify.service.templates import template_for


async def defer_to_digest(
    session: AsyncSession,
    *,
    source_event_id: uuid.UUID,
    event_type: str,
    estate_id: uuid.UUID | None,
    recipient: Person,
    category: str,
    context: dict,
) -> None:
    """Keep the alert for the recipient's next digest; the digest goes out one interval after its first item."""
    settings: NotifySettings = settings_of(session)
    subject, _ = await template_for(session, event_type, "inapp", recipient.language, estate_id)
    title = render(subject or "", {**context, "estate": {"name": ""}, "recipient": {"name": recipient.name}})
    inserted = (
        await session.execute(
            pg_insert(DigestItem)
            .values(
                id=uuid.uuid4(),
                source_event_id=source_event_id,
                recipient_id=recipient.id,
                estate_id=estate_id,
                category=category,
                title=title,
            )
            .on_conflict_do_nothing()
            .returning(DigestItem.id)
        )
    ).scalar()
    if inserted is None:
        return  # this alert is already waiting for this recipient
    timers.schedule(
        session,
        kind="digest.send",
        key=f"digest:{recipient.id}:{category}",
        due_at=utcnow() + dt.timedelta(seconds=settings.digest_interval_seconds),
        payload={"recipient_id": str(recipient.id), "category": category},
        keep_existing=True,
    )


async def send_digest(session: AsyncSession, recipient_id: uuid.UUID, category: str) -> None:
    items = list(
        (
            await session.execute(
                select(DigestItem)
                .where(
                    DigestItem.recipient_id == recipient_id,
                    DigestItem.category == category,
                    DigestItem.digest_message_id.is_(None),
                )
                .order_by(DigestItem.created_at)
                .with_for_update()
            )
        ).scalars()
    )
    recipient = await recipients.get(session, recipient_id)
    if not items or recipient is None:
        return
    digest_id = uuid.uuid4()
    await fanout.fan_out(
        session,
        fanout.Audience(digest_id, "notify.digest", items[0].estate_id, category, critical=False),
        [recipient],
        {"count": len(items), "items": [i.title for i in items]},
    )
    for item in items:
        item.digest_message_id = digest_id
    await session.flush()
