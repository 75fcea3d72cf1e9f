"""Fan-out and delivery.

An event becomes one message per recipient (its in-app inbox entry, rendered in the recipient's language)
and one delivery per channel. (source event, recipient, channel) is unique, so a redelivered event sends
nothing twice. E-mail and SMS go out on durable timers: retried with exponential backoff, the next SMS
provider taking over from a failing one; held during quiet hours unless critical; suppressed with the
reason when the recipient opted out or has no contact point. Every override of a critical message is
recorded on its delivery.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from functools import lru_cache

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.contracts.notify import CriticalAcknowledged, CriticalUnacknowledged
from propdesk.common.db import settings_of
from propdesk.common.timeutil import to_local, utcnow, zone
from propdesk.notify.channels import SendFailed, Sent, send_email, send_via_provider
from propdesk.notify.config import NotifySettings, ProviderConfig
from propdesk.notify.defaults import default_templates
from propdesk.notify.models import (
    Delivery,
    DeliveryLog,
    DigestItem,
    Message,
    Preference,
    Provider,
    QuietHours,
    Recipient,
    Template,
    estate,
)
from propdesk.notify.service.render import render

HELD_CHANNELS = frozenset({"sms", "email"})  # in-app entries are silent: never held


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return default_templates()


_clients: dict[int, aiohttp.ClientSession] = {}


def http_client() -> aiohttp.ClientSession:
    """One keep-alive connection pool per event loop (a service has one; tests start a loop per test).
    aiohttp, not httpx: on this machine it sends ~20 × as many small POSTs per second (docs/performance.md)."""
    loop = id(asyncio.get_running_loop())
    if loop not in _clients:
        _clients.clear()
        _clients[loop] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=SEND_CONCURRENCY))
    return _clients[loop]


async def template_for(
    session: AsyncSession, event_type: str, channel: str, language: str
) -> tuple[str | None, str]:
    """The estate-wide override if one was saved, else the default; the recipient's language, else zh-CN."""
    for lang in dict.fromkeys((language, "zh-CN")):
        row = (
            await session.execute(
                select(Template).where(
                    Template.event_type == event_type, Template.channel == channel, Template.language == lang
                )
            )
        ).scalar_one_or_none()
        if row is not None:
            return row.subject, row.body
        if (event_type, channel, lang) in _defaults():
            return _defaults()[(event_type, channel, lang)]
    raise LookupError(f"no template for {event_type} / {channel}")


def address_for(recipient: Recipient, channel: str) -> str | None:
    return {
        "inapp": str(recipient.id),
        "push": str(recipient.id),
        "sms": recipient.phone,
        "voice": recipient.phone,
        "email": recipient.email,
    }[channel]


def channels_for(recipient: Recipient) -> list[tuple[str, str | None]]:
    return [(c, address_for(recipient, c)) for c in ("inapp", "sms", "email")]


async def providers_for(session: AsyncSession, channel: str) -> list[ProviderConfig]:
    """The channel's providers in the order they are tried: those managed through the API (by priority),
    then those in settings (unless the API manages one of the same name)."""
    rows = (
        (
            await session.execute(
                select(Provider)
                .where(Provider.channel == channel, Provider.active.is_(True))
                .order_by(Provider.priority, Provider.name)
            )
        )
        .scalars()
        .all()
    )
    managed = [ProviderConfig(name=r.name, url=r.url, secret=r.secret) for r in rows]
    names = {p.name for p in managed} | set((await session.execute(select(Provider.name))).scalars())
    return managed + [p for p in settings_of(session).providers(channel) if p.name not in names]


async def chain_channels(session: AsyncSession) -> list[str]:
    """The critical fallback chain's channels that have a provider."""
    return [c for c in settings_of(session).critical_chain if await providers_for(session, c)]


def chain_for(channels: list[str], recipient: Recipient) -> list[str]:
    """The critical fallback chain this recipient can be reached on (a provider and an address per step)."""
    return [c for c in channels if address_for(recipient, c)]


async def _preferences(session: AsyncSession, recipient_ids: list[uuid.UUID], category: str) -> dict:
    rows = await session.execute(
        select(Preference).where(
            Preference.recipient_id.in_(recipient_ids), Preference.category.in_([category, "*"])
        )
    )
    return {(p.recipient_id, p.channel): p.enabled for p in rows.scalars()}


async def quiet_until(
    session: AsyncSession, estate_id: uuid.UUID | None, now: dt.datetime
) -> dt.datetime | None:
    """When quiet hours end, if `now` is inside them (estate time); else None."""
    if estate_id is None:
        return None
    q = (
        await session.execute(
            select(QuietHours).where(
                QuietHours.estate_id == estate_id, QuietHours.applies_to == "non_critical"
            )
        )
    ).scalar_one_or_none()
    if q is None:
        return None
    local = to_local(now, q.timezone)
    t = local.timetz().replace(tzinfo=None)
    inside = (q.starts <= t or t < q.ends) if q.starts > q.ends else (q.starts <= t < q.ends)
    if not inside:
        return None
    end = dt.datetime.combine(local.date(), q.ends, zone(q.timezone))
    return (end if end > local else end + dt.timedelta(days=1)).astimezone(dt.UTC)


async def _log(session: AsyncSession, delivery: Delivery, state: str, detail: str | None = None) -> None:
    session.add(DeliveryLog(delivery_id=delivery.id, state=state, detail=detail))


async def fan_out(
    session: AsyncSession,
    *,
    source_event_id: uuid.UUID,
    event_type: str,
    estate_id: uuid.UUID | None,
    recipients: list[Recipient],
    category: str,
    critical: bool,
    context: dict,
) -> int:
    """Create the messages and deliveries; returns how many messages were new."""
    if not recipients:
        return 0
    now = utcnow()
    estate_row = (
        await session.execute(select(estate.c.name, estate.c.timezone).where(estate.c.id == estate_id))
    ).first()
    estate_ctx = {
        "name": estate_row.name if estate_row else "物业服务中心",
        "timezone": estate_row.timezone if estate_row else "Asia/Shanghai",
    }
    prefs = await _preferences(session, [r.id for r in recipients], category)
    held = None if critical else await quiet_until(session, estate_id, now)
    created = 0
    for recipient in recipients:
        ctx = {
            **context,
            "estate": estate_ctx,
            "recipient": {"name": recipient.name, "language": recipient.language},
        }
        subject, body = await template_for(session, event_type, "inapp", recipient.language)
        message_id = (
            await session.execute(
                pg_insert(Message)
                .values(
                    id=uuid.uuid4(),
                    estate_id=estate_id,
                    source_event_id=source_event_id,
                    event_type=event_type,
                    recipient_id=recipient.id,
                    category=category,
                    critical=critical,
                    language=recipient.language,
                    title=render(subject or "", ctx),
                    body=render(body, ctx),
                    context=ctx,
                )
                .on_conflict_do_nothing()
                .returning(Message.id)
            )
        ).scalar()
        if message_id is None:
            continue  # this event already reached this recipient
        created += 1
        chain = chain_for(await chain_channels(session), recipient) if critical else []
        channels = [(c, a) for c, a in channels_for(recipient) if c not in chain]
        if chain:  # the first step of the fallback chain now; the next when nobody acknowledged in time
            channels.append((chain[0], address_for(recipient, chain[0])))
            await _next_chain_step_at(session, message_id, now)
            await session.execute(update(Message).where(Message.id == message_id).values(chain_step=1))
        for channel, address in channels:
            await _add_delivery(
                session,
                message_id=message_id,
                source_event_id=source_event_id,
                recipient=recipient,
                channel=channel,
                address=address,
                critical=critical,
                held=held,
                now=now,
                enabled=prefs.get((recipient.id, channel), prefs.get((recipient.id, "*"), True)),
            )
    return created


async def _add_delivery(
    session: AsyncSession,
    *,
    message_id,
    source_event_id,
    recipient: Recipient,
    channel: str,
    address: str | None,
    critical: bool,
    held: dt.datetime | None,
    now: dt.datetime,
    enabled: bool,
) -> None:
    state, reason, override, due = "pending", None, None, now
    if not enabled and not critical:
        state, reason = "suppressed", "opt_out"
    elif not address:
        state, reason = "suppressed", "no_contact_point"
    elif channel == "inapp":
        state = "delivered"
    elif held is not None and channel in HELD_CHANNELS:
        reason, due = "quiet_hours", held
    if critical and not enabled and address:
        override = "opt_out"
    if critical and channel in HELD_CHANNELS and state == "pending":
        quiet = await quiet_until(session, recipient.estate_id, now)
        if quiet is not None:
            override = ", ".join(filter(None, [override, "quiet_hours"]))
    delivery = Delivery(
        id=uuid.uuid4(),
        message_id=message_id,
        source_event_id=source_event_id,
        recipient_id=recipient.id,
        channel=channel,
        state=state,
        reason=reason,
        address=address,
        attempts=0,
        held_until=due if reason == "quiet_hours" else None,
        override=override,
    )
    session.add(delivery)
    await session.flush()
    await _log(
        session,
        delivery,
        state,
        "; ".join(filter(None, [reason, override and f"critical overrides {override}"])) or None,
    )
    if state == "pending":
        await timers.schedule(
            session,
            kind="delivery.send",
            key=f"delivery:{delivery.id}",
            due_at=due,
            payload={"delivery_id": str(delivery.id)},
        )


async def _next_chain_step_at(session: AsyncSession, message_id: uuid.UUID, now: dt.datetime) -> None:
    settings: NotifySettings = settings_of(session)
    await timers.schedule(
        session,
        kind="critical.chain",
        key=f"chain:{message_id}",
        due_at=now + dt.timedelta(seconds=settings.chain_step_seconds),
        payload={"message_id": str(message_id)},
    )


async def chain_step(session: AsyncSession, message_id: uuid.UUID) -> None:
    """Nobody acknowledged the critical message in time: the next channel of the chain, or the report
    that the chain ended unacknowledged."""
    message = await timers.lock_or_defer(session, Message, message_id)
    if message is None or message.acknowledged_at is not None:
        return
    recipient = await session.get(Recipient, message.recipient_id)
    chain = chain_for(await chain_channels(session), recipient)
    now = utcnow()
    if message.chain_step < len(chain):
        channel = chain[message.chain_step]
        message.chain_step += 1
        await _add_delivery(
            session,
            message_id=message.id,
            source_event_id=message.source_event_id,
            recipient=recipient,
            channel=channel,
            address=address_for(recipient, channel),
            critical=True,
            held=None,
            now=now,
            enabled=True,
        )
        await _next_chain_step_at(session, message.id, now)
    elif message.chain_step == len(chain):
        message.chain_step += 1  # reported once
        await outbox.record(
            session,
            CriticalUnacknowledged(
                message_id=message.id,
                source_event_id=message.source_event_id,
                recipient_id=message.recipient_id,
                channels_tried=chain,
            ),
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
        await timers.cancel(session, f"chain:{message.id}")
        recipient = await session.get(Recipient, message.recipient_id)
        tried = chain_for(await chain_channels(session), recipient)[: message.chain_step]
        await outbox.record(
            session,
            CriticalAcknowledged(
                message_id=message.id,
                source_event_id=message.source_event_id,
                recipient_id=message.recipient_id,
                channels_tried=tried,
            ),
            aggregate_id=message.source_event_id,
            estate_id=message.estate_id,
        )
    await session.flush()
    return message


class UnknownMessage(Exception):
    pass


async def provider_callback(
    session: AsyncSession, *, provider: str, reference: str, status: str, detail: str | None
) -> Delivery:
    """A provider reports the fate of a message it accepted: delivered, or failed / bounced."""
    try:
        match = (Delivery.id == uuid.UUID(reference)) | (Delivery.provider_ref == reference)
    except ValueError:
        match = Delivery.provider_ref == reference
    stmt = select(Delivery).where(match)
    delivery = (await session.execute(stmt.with_for_update())).scalars().first()
    if delivery is None or delivery.channel in ("inapp", "email"):
        raise UnknownMessage(reference)
    if delivery.state in ("delivered", "failed"):
        return delivery  # a repeated callback changes nothing
    delivery.state = "delivered" if status == "delivered" else "failed"
    delivery.reason = None if status == "delivered" else f"{status}: {detail or ''}".strip(": ")[:200]
    delivery.provider = delivery.provider or provider
    await _log(
        session, delivery, delivery.state, f"callback from {provider}: {status} {detail or ''}".strip()
    )
    await session.flush()
    return delivery


SEND_CONCURRENCY = 64


async def send_many(session: AsyncSession, due: list) -> None:
    """Send every due e-mail/SMS/push/voice delivery of a timer batch concurrently, then record each
    outcome. Rows another worker holds are moved back a second; failures retry with backoff."""
    settings: NotifySettings = settings_of(session)
    ids = [uuid.UUID(t.payload["delivery_id"]) for t in due]
    rows = list(
        (
            await session.execute(
                select(Delivery)
                .where(Delivery.id.in_(ids), Delivery.state == "pending")
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    locked_elsewhere = set(ids) - {d.id for d in rows}
    busy = (
        (
            await session.execute(
                select(Delivery.id).where(Delivery.id.in_(locked_elsewhere), Delivery.state == "pending")
            )
        )
        .scalars()
        .all()
        if locked_elsewhere
        else []
    )
    now = utcnow()
    if busy:
        await timers.schedule_many(
            session,
            [
                {
                    "kind": "delivery.send",
                    "key": f"delivery:{i}",
                    "due_at": now + dt.timedelta(seconds=1),
                    "payload": {"delivery_id": str(i)},
                }
                for i in busy
            ],
        )
    if not rows:
        return
    messages = {
        m.id: m
        for m in (
            await session.execute(select(Message).where(Message.id.in_({d.message_id for d in rows})))
        ).scalars()
    }
    templates: dict[tuple, tuple] = {}
    jobs = []
    for d in rows:
        m = messages[d.message_id]
        key = (m.event_type, d.channel, m.language)
        if key not in templates:
            templates[key] = await template_for(session, *key)
        subject, body = templates[key]
        d.state, d.attempts = "sending", d.attempts + 1
        jobs.append((d, render(subject or "", m.context), render(body, m.context)))
    limit = asyncio.Semaphore(SEND_CONCURRENCY)
    by_channel = {c: await providers_for(session, c) for c in {d.channel for d, _, _ in jobs} - {"email"}}

    async def one(d: Delivery, subject: str, text: str):
        async with limit:
            if d.channel == "email":
                return await send_email(settings, to=d.address, subject=subject, body=text, message_id=d.id)
            providers = by_channel[d.channel]
            if not providers:
                raise SendFailed(f"no {d.channel} provider configured")
            return await send_via_provider(
                http_client(),
                providers[(d.attempts - 1) % len(providers)],
                channel=d.channel,
                to=d.address,
                text=text,
                delivery_id=d.id,
                timeout=settings.send_timeout_seconds,
            )

    results = await asyncio.gather(*(one(*job) for job in jobs), return_exceptions=True)
    retries, logs = [], []
    for (d, _, _), result in zip(jobs, results, strict=True):
        if isinstance(result, Sent):
            d.state, d.provider, d.provider_ref, d.reason = "sent", result.provider, result.reference, None
            logs.append(
                DeliveryLog(
                    delivery_id=d.id, state="sent", detail=f"{result.provider} {result.reference or ''}"
                )
            )
            continue
        error = result if isinstance(result, SendFailed) else SendFailed(repr(result))
        logs.append(
            DeliveryLog(delivery_id=d.id, state="failed_attempt", detail=f"attempt {d.attempts}: {error}")
        )
        if d.attempts >= settings.max_attempts:
            d.state, d.reason = "failed", str(error)[:200]
            logs.append(DeliveryLog(delivery_id=d.id, state="failed", detail="no attempts left"))
        else:
            d.state = "pending"
            retries.append(
                {
                    "kind": "delivery.send",
                    "key": f"delivery:{d.id}",
                    "payload": {"delivery_id": str(d.id)},
                    "due_at": now + dt.timedelta(seconds=settings.retry_base_seconds * 2 ** (d.attempts - 1)),
                }
            )
    session.add_all(logs)
    await timers.schedule_many(session, retries)
    await session.flush()


async def defer_to_digest(
    session: AsyncSession,
    *,
    source_event_id: uuid.UUID,
    event_type: str,
    estate_id: uuid.UUID | None,
    recipient: Recipient,
    category: str,
    context: dict,
) -> None:
    """Keep the alert for the recipient's next digest; the digest goes out one interval after its first item."""
    settings: NotifySettings = settings_of(session)
    subject, _ = await template_for(session, event_type, "inapp", recipient.language)
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
    await timers.schedule(
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
    recipient = await session.get(Recipient, recipient_id)
    if not items or recipient is None:
        return
    digest_id = uuid.uuid4()
    await fan_out(
        session,
        source_event_id=digest_id,
        event_type="notify.digest",
        estate_id=items[0].estate_id,
        recipients=[recipient],
        category=category,
        critical=False,
        context={"count": len(items), "items": [i.title for i in items]},
    )
    for item in items:
        item.digest_message_id = digest_id
    await session.flush()
