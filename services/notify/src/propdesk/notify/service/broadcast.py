"""Broadcasts: one notice to thousands, set-based. The messages are one INSERT … SELECT; deliveries,
timers and log rows are bulk inserts; the rules are those of `delivery.fan_out` (preferences, no contact
point, quiet hours, critical overrides, the critical fallback chain). A broadcast is rendered once per
language, so its templates speak to everyone (no per-recipient placeholders)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.db import copy_rows, platform_of, settings_of, wake_after_commit
from propdesk.common.events import current_context
from propdesk.common.ids import uuid7
from propdesk.common.timeutil import utcnow
from propdesk.notify.models import Delivery, DeliveryLog, Preference, estate
from propdesk.notify.service.delivery import HELD_CHANNELS, quiet_until, template_for
from propdesk.notify.service.delivery import chain_channels as delivery_chain_channels
from propdesk.notify.service.render import render

MESSAGES = text("""
    INSERT INTO notify.message (id, estate_id, source_event_id, event_type, recipient_id, category, critical,
                                language, title, body, context, created_at, chain_step)
    SELECT gen_random_uuid(), :estate_id, :source, :event_type, r.id, :category, :critical, r.language,
           CASE WHEN r.language = 'en' THEN :title_en ELSE :title_zh END,
           CASE WHEN r.language = 'en' THEN :body_en ELSE :body_zh END,
           CAST(:context AS jsonb), now(), :chain_step
    FROM notify.recipient r
    WHERE r.id = ANY(:ids) AND r.active
    ON CONFLICT (source_event_id, recipient_id) DO NOTHING
    RETURNING id, recipient_id
""")


async def broadcast(
    session: AsyncSession,
    *,
    source_event_id: uuid.UUID,
    event_type: str,
    estate_id: uuid.UUID,
    recipient_ids: list[uuid.UUID],
    category: str,
    critical: bool,
    context: dict,
) -> int:
    settings = settings_of(session)
    now = utcnow()
    row = (
        await session.execute(select(estate.c.name, estate.c.timezone).where(estate.c.id == estate_id))
    ).first()
    ctx = {
        **context,
        "estate": {
            "name": row.name if row else "物业服务中心",
            "timezone": row.timezone if row else "Asia/Shanghai",
        },
    }
    rendered = {}
    for language in ("zh-CN", "en"):
        subject, body = await template_for(session, event_type, "inapp", language)
        rendered[language] = (render(subject or "", ctx), render(body, ctx))
    contacts = {
        r.id: r
        for r in (
            await session.execute(
                text("SELECT id, phone, email FROM notify.recipient WHERE id = ANY(:ids)"),
                {"ids": recipient_ids},
            )
        )
    }
    chain_channels = await delivery_chain_channels(session) if critical else []
    created = (
        await session.execute(
            MESSAGES,
            {
                "estate_id": estate_id,
                "source": source_event_id,
                "event_type": event_type,
                "category": category,
                "critical": critical,
                "title_zh": rendered["zh-CN"][0],
                "body_zh": rendered["zh-CN"][1],
                "title_en": rendered["en"][0],
                "body_en": rendered["en"][1],
                "context": json.dumps(ctx, ensure_ascii=False),
                "chain_step": 1 if chain_channels else 0,
                "ids": recipient_ids,
            },
        )
    ).all()
    if not created:
        return 0
    opted_out = {
        (p.recipient_id, p.channel)
        for p in (
            await session.execute(
                select(Preference).where(
                    Preference.recipient_id.in_([m.recipient_id for m in created]),
                    Preference.category.in_([category, "*"]),
                    Preference.enabled.is_(False),
                )
            )
        ).scalars()
    }
    quiet = await quiet_until(session, estate_id, now)
    deliveries, due, logs, chain_timers = [], [], [], []
    for message_id, recipient_id in created:
        person = contacts[recipient_id]
        addresses = {
            "inapp": str(recipient_id),
            "sms": person.phone,
            "email": person.email,
            "push": str(recipient_id),
            "voice": person.phone,
        }
        chain = [c for c in chain_channels if addresses[c]]
        channels = [c for c in ("inapp", "sms", "email") if c not in chain] + chain[:1]
        if len(chain) > 0:
            chain_timers.append(
                {
                    "kind": "critical.chain",
                    "key": f"chain:{message_id}",
                    "due_at": now + dt.timedelta(seconds=settings.chain_step_seconds),
                    "payload": {"message_id": str(message_id)},
                }
            )
        for channel in channels:
            out = (recipient_id, channel) in opted_out or (recipient_id, "*") in opted_out
            state, reason, override, held = "pending", None, None, None
            if out and not critical:
                state, reason = "suppressed", "opt_out"
            elif not addresses[channel]:
                state, reason = "suppressed", "no_contact_point"
            elif channel == "inapp":
                state = "delivered"
            elif quiet is not None and channel in HELD_CHANNELS and not critical:
                reason, held = "quiet_hours", quiet
            if critical and channel != "inapp" and addresses[channel]:
                override = (
                    ", ".join(
                        filter(
                            None,
                            [
                                "opt_out" if out else None,
                                "quiet_hours" if quiet and channel in HELD_CHANNELS else None,
                            ],
                        )
                    )
                    or None
                )
            delivery_id = uuid.uuid4()
            deliveries.append(
                {
                    "id": delivery_id,
                    "message_id": message_id,
                    "source_event_id": source_event_id,
                    "recipient_id": recipient_id,
                    "channel": channel,
                    "state": state,
                    "reason": reason,
                    "address": addresses[channel],
                    "attempts": 0,
                    "held_until": held,
                    "override": override,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if state == "pending":
                due.append(
                    {
                        "kind": "delivery.send",
                        "key": f"delivery:{delivery_id}",
                        "due_at": held or now,
                        "payload": {"delivery_id": str(delivery_id)},
                    }
                )
            if reason or override:
                logs.append(
                    {
                        "id": uuid.uuid4(),
                        "delivery_id": delivery_id,
                        "state": state,
                        "at": now,
                        "detail": "; ".join(
                            filter(None, [reason, override and f"critical overrides {override}"])
                        ),
                    }
                )
    await copy_rows(session, Delivery.__table__, deliveries)
    await copy_rows(session, DeliveryLog.__table__, logs)
    correlation_id = current_context().correlation_id
    if due or chain_timers:
        earliest = min(t["due_at"] for t in due + chain_timers)
        wake_after_commit(session, platform_of(session).timer_channel, earliest.timestamp())
    await copy_rows(
        session,
        platform_of(session).timer,
        [
            {
                "id": uuid7(),
                "kind": t["kind"],
                "key": t["key"],
                "due_at": t["due_at"],
                "payload": json.dumps(t["payload"]),
                "attempts": 0,
                "correlation_id": correlation_id,
            }
            for t in due + chain_timers
        ],
    )
    return len(created)
