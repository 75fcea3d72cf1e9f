"""Fan-out and delivery.

An event becomes one message per recipient (its in-app inbox entry, rendered in the recipient's language)
and one delivery per channel. (source event, recipient, channel) is unique, so a redelivered event sends
nothing twice. E-mail and SMS go out on durable timers: retried with exponential backoff, the next SMS
provider taking over from a failing one; held during quiet hours unless critical; suppressed with the
reason when the recipient opted out or has no contact point. Every override of a critical message is
recorded on its delivery. Critical messages also walk the fallback chain here.

Beside it: `providers` (who sends), `sending` (the batch sender and provider callbacks), `broadcast`
(set-based fan-out), `digest` (grouped staff alerts), `webhooks` (other systems).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from functools import lru_cache

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.cache import TTLCache
from propdesk.common.contracts.notify import CriticalAcknowledged, CriticalUnacknowledged
from propdesk.common.db import platform_of, settings_of, wake_after_commit
from propdesk.common.events import current_context
from propdesk.common.ids import uuid7
from propdesk.common.timeutil import to_local, utcnow, zone
from propdesk.notify.config import NotifySettings
from propdesk.notify.defaults import default_templates
from propdesk.notify.models import (
    Delivery,
    DeliveryLog,
    Message,
    Preference,
    QuietHours,
    Recipient,
    Template,
    estate,
)
from propdesk.notify.service.providers import providers_for
from propdesk.notify.service.render import render

HELD_CHANNELS = frozenset({"sms", "email"})  # in-app entries are silent: never held


@lru_cache(maxsize=1)
def _defaults() -> dict:
    return default_templates()


# Configuration read for every message (saved templates, quiet hours, the estate's name, webhook
# subscriptions), cached per process; a change through this process's API forgets it at once.
CONFIG = TTLCache(ttl=5.0)


async def _saved_template(session: AsyncSession, event_type: str, channel: str, lang: str):
    async def load():
        row = (
            await session.execute(
                select(Template.subject, Template.body).where(
                    Template.event_type == event_type, Template.channel == channel, Template.language == lang
                )
            )
        ).first()
        return None if row is None else (row.subject, row.body)

    return await CONFIG.get_or_load(("template", event_type, channel, lang), load)


async def template_for(
    session: AsyncSession, event_type: str, channel: str, language: str
) -> tuple[str | None, str]:
    """The estate-wide override if one was saved, else the default; the recipient's language, else zh-CN."""
    for lang in dict.fromkeys((language, "zh-CN")):
        saved = await _saved_template(session, event_type, channel, lang)
        if saved is not None:
            return saved
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


async def chain_channels(session: AsyncSession) -> list[str]:
    """The critical fallback chain's channels that have a provider."""
    return [c for c in settings_of(session).critical_chain if await providers_for(session, c)]


def chain_for(channels: list[str], recipient: Recipient) -> list[str]:
    """The critical fallback chain this recipient can be reached on (a provider and an address per step)."""
    return [c for c in channels if address_for(recipient, c)]


async def _preferences(session: AsyncSession, recipient_ids: list[uuid.UUID], category: str) -> dict:
    """{(recipient, channel): enabled} for the category (or "*"); each recipient's preferences are cached
    (CONFIG) and forgotten when they change through this process. Each cache entry is read once: one that
    expires while the others load must not lose its choices."""
    saved: dict[uuid.UUID, list[tuple[str, str, bool]]] = {}
    missing = []
    for recipient_id in dict.fromkeys(recipient_ids):
        hit = CONFIG.get(("preferences", recipient_id), None)
        if hit is None:
            missing.append(recipient_id)
        else:
            saved[recipient_id] = hit
    if missing:
        loaded: dict[uuid.UUID, list[tuple[str, str, bool]]] = {i: [] for i in missing}
        rows = await session.execute(
            select(
                Preference.recipient_id, Preference.category, Preference.channel, Preference.enabled
            ).where(Preference.recipient_id.in_(missing))
        )
        for recipient_id, saved_category, channel, enabled in rows:
            loaded[recipient_id].append((saved_category, channel, enabled))
        for recipient_id, prefs in loaded.items():
            saved[recipient_id] = CONFIG.put(("preferences", recipient_id), prefs)
    out = {}
    for recipient_id, prefs in saved.items():
        for wanted in ("*", category):  # the category's own choice over the one for every category
            for saved_category, channel, enabled in prefs:
                if saved_category == wanted:
                    out[(recipient_id, channel)] = enabled
    return out


def forget_preferences(recipient_id: uuid.UUID) -> None:
    CONFIG.discard(("preferences", recipient_id))


async def quiet_until(
    session: AsyncSession, estate_id: uuid.UUID | None, now: dt.datetime
) -> dt.datetime | None:
    """When quiet hours end, if `now` is inside them (estate time); else None."""
    if estate_id is None:
        return None

    async def load():
        return (
            await session.execute(
                select(QuietHours.starts, QuietHours.ends, QuietHours.timezone).where(
                    QuietHours.estate_id == estate_id, QuietHours.applies_to == "non_critical"
                )
            )
        ).first()

    q = await CONFIG.get_or_load(("quiet", estate_id), load)
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


INSERT_MESSAGE = text("""
    INSERT INTO notify.message (id, estate_id, source_event_id, event_type, recipient_id, category, critical,
                                language, title, body, context, created_at, chain_step)
    VALUES (:id, :estate, :event, :type, :recipient, :category, :critical, :language, :title, :body,
            CAST(:context AS jsonb), :at, 0)
    ON CONFLICT (source_event_id, recipient_id) DO NOTHING
    RETURNING id
""")
WRITE = text("""
    WITH messages AS (
      INSERT INTO notify.message (id, estate_id, source_event_id, event_type, recipient_id, category, critical,
                                  language, title, body, context, created_at, chain_step)
      SELECT i, es, e, ty, r, ca, false, la, ti, bo, co::jsonb, :at, 0
      FROM unnest(CAST(:mi AS uuid[]), CAST(:mes AS uuid[]), CAST(:me AS uuid[]), CAST(:mty AS text[]),
                  CAST(:mr AS uuid[]), CAST(:mca AS text[]), CAST(:mla AS text[]), CAST(:mti AS text[]),
                  CAST(:mbo AS text[]), CAST(:mco AS text[])) AS x(i, es, e, ty, r, ca, la, ti, bo, co)
      ON CONFLICT (source_event_id, recipient_id) DO NOTHING
      RETURNING id
    ), deliveries AS (
      INSERT INTO notify.delivery (id, message_id, source_event_id, recipient_id, channel, state, reason, address,
                                   attempts, held_until, override, created_at, updated_at)
      SELECT i, m, e, r, c, s, why, a, 0, h, o, :at, :at
      FROM unnest(CAST(:i AS uuid[]), CAST(:m AS uuid[]), CAST(:e AS uuid[]), CAST(:r AS uuid[]),
                  CAST(:c AS text[]), CAST(:s AS text[]), CAST(:why AS text[]), CAST(:a AS text[]),
                  CAST(:h AS timestamptz[]), CAST(:o AS text[]), CAST(:pre AS boolean[]))
           AS x(i, m, e, r, c, s, why, a, h, o, pre)
      WHERE x.pre OR x.m IN (SELECT id FROM messages)
      RETURNING id
    ), logs AS (
      INSERT INTO notify.delivery_log (id, delivery_id, at, state, detail)
      SELECT gen_random_uuid(), d, :at, s, t
      FROM unnest(CAST(:i AS uuid[]), CAST(:s AS text[]), CAST(:t AS text[])) AS x(d, s, t)
      WHERE x.d IN (SELECT id FROM deliveries)
    )
    INSERT INTO notify.timer (id, kind, key, due_at, payload, correlation_id, attempts)
    SELECT i, 'delivery.send', 'delivery:' || d, due, jsonb_build_object('delivery_id', d::text), co, 0
    FROM unnest(CAST(:ti AS uuid[]), CAST(:td AS uuid[]), CAST(:tdue AS timestamptz[]), CAST(:tco AS text[]))
         AS x(i, d, due, co)
    WHERE x.d IN (SELECT id FROM deliveries)
    ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at, payload = excluded.payload,
        attempts = 0, last_error = NULL
""")  # messages, their deliveries, first log lines and send timers in one statement; a message that already
# reached its recipient (the same event again) is skipped with everything of it. Foreign keys are checked at
# the statement's end, when every row is in.
MESSAGE_COLUMNS = ("mi", "mes", "me", "mty", "mr", "mca", "mla", "mti", "mbo", "mco")
DELIVERY_COLUMNS = ("i", "m", "e", "r", "c", "s", "why", "a", "h", "o", "pre", "t")
TIMER_COLUMNS = ("ti", "td", "tdue", "tco")
BATCH = "notify.fan_out"


class Writes:
    """Fan-outs' messages, deliveries, their first log lines and send timers, written with one statement of
    fixed text (prepared once per connection) instead of an ORM flush per message. A consumer batch collects
    the fan-outs of all its events in one (`batch_of`, `finish_batch`)."""

    def __init__(self) -> None:
        self.messages: list[tuple] = []
        self.deliveries: list[tuple] = []
        self.timers: list[tuple] = []

    async def write(self, session: AsyncSession) -> None:
        if self.deliveries or self.messages:
            params = {"at": utcnow()}
            for names, rows in (
                (MESSAGE_COLUMNS, self.messages),
                (DELIVERY_COLUMNS, self.deliveries),
                (TIMER_COLUMNS, self.timers),
            ):
                params |= {k: [r[n] for r in rows] for n, k in enumerate(names)}
            await session.execute(WRITE, params)
            if self.timers:
                wake_after_commit(
                    session, platform_of(session).timer_channel, min(t[2] for t in self.timers).timestamp()
                )
        self.messages, self.deliveries, self.timers = [], [], []


def batch_of(session: AsyncSession) -> Writes:
    """The writes of the consumer batch this session is applying (written by `finish_batch`)."""
    return session.info.setdefault(BATCH, Writes())


async def finish_batch(session: AsyncSession) -> None:
    """After a consumer batch's handlers: every non-critical fan-out of the batch in one statement."""
    writes = session.info.pop(BATCH, None)
    if writes is not None:
        await writes.write(session)


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
    batch: Writes | None = None,
) -> int:
    """Create the messages and deliveries; returns how many messages were planned (a message that already
    reached its recipient is then skipped with its deliveries). A non-critical fan-out given a consumer's
    `batch` is written with the batch's others when it finishes; otherwise at once. Critical messages are
    written at once, each before its fallback chain starts."""
    if not recipients:
        return 0
    now = utcnow()
    estate_ctx = CONFIG.get(("estate", estate_id), None)
    if estate_ctx is None:
        estate_row = (
            await session.execute(select(estate.c.name, estate.c.timezone).where(estate.c.id == estate_id))
        ).first()
        estate_ctx = {
            "name": estate_row.name if estate_row else "物业服务中心",
            "timezone": estate_row.timezone if estate_row else "Asia/Shanghai",
        }
        if estate_row is not None:  # an estate not known yet is looked up again next time
            CONFIG.put(("estate", estate_id), estate_ctx)
    prefs = await _preferences(session, [r.id for r in recipients], category)
    held = None if critical else await quiet_until(session, estate_id, now)
    created, writes = 0, (batch if batch is not None and not critical else Writes())
    for recipient in recipients:
        ctx = {
            **context,
            "estate": estate_ctx,
            "recipient": {"name": recipient.name, "language": recipient.language},
        }
        subject, body = await template_for(session, event_type, "inapp", recipient.language)
        title, text_body = render(subject or "", ctx), render(body, ctx)
        context_json = json.dumps(ctx, ensure_ascii=False, default=str)
        if critical:  # written now: its chain step and timer refer to it
            message_id = (
                await session.execute(
                    INSERT_MESSAGE,
                    {
                        "id": uuid.uuid4(),
                        "estate": estate_id,
                        "event": source_event_id,
                        "type": event_type,
                        "recipient": recipient.id,
                        "category": category,
                        "critical": critical,
                        "language": recipient.language,
                        "title": title,
                        "body": text_body,
                        "context": context_json,
                        "at": now,
                    },
                )
            ).scalar()
            if message_id is None:
                continue  # this event already reached this recipient
        else:
            message_id = uuid.uuid4()
            writes.messages.append(
                (
                    message_id,
                    estate_id,
                    source_event_id,
                    event_type,
                    recipient.id,
                    category,
                    recipient.language,
                    title,
                    text_body,
                    context_json,
                )
            )
        created += 1
        chain = chain_for(await chain_channels(session), recipient) if critical else []
        channels = [(c, a) for c, a in channels_for(recipient) if c not in chain]
        if chain:  # the first step of the fallback chain now; the next when nobody acknowledged in time
            channels.append((chain[0], address_for(recipient, chain[0])))
            await _next_chain_step_at(session, message_id, now)
            await session.execute(update(Message).where(Message.id == message_id).values(chain_step=1))
        for channel, address in channels:
            await _add_delivery(
                writes,
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
    if writes is not batch:
        await writes.write(session)
    return created


async def _add_delivery(
    writes: Writes,
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
    """Plan a delivery, its first log line and (when there is something to send) its send timer."""
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
    delivery_id = uuid.uuid4()
    detail = "; ".join(filter(None, [reason, override and f"critical overrides {override}"])) or None
    writes.deliveries.append(
        (
            delivery_id,
            message_id,
            source_event_id,
            recipient.id,
            channel,
            state,
            reason,
            address,
            due if reason == "quiet_hours" else None,
            override,
            critical,  # a critical message is written before its deliveries
            detail,
        )
    )
    if state == "pending":
        writes.timers.append((uuid7(), delivery_id, due, current_context().correlation_id))


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
        writes = Writes()
        await _add_delivery(
            writes,
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
        await writes.write(session)
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
