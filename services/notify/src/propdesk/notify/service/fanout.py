"""Fan-out: an event (or a notice) becomes one message per recipient, in their language, and the deliveries
`planning` decides for it. (source event, recipient) is unique for messages and (source event, recipient,
channel) for deliveries, so a redelivered event sends nothing twice.

Everything a unit of work fans out (a consumer batch's events, a broadcast to thousands, a critical message)
is staged in its `FanOut` and written by the unit of work's flush in ONE statement of fixed text: messages,
their deliveries, the first log lines, the send timers and the critical chains' timers. A message that
already reached its recipient is skipped with everything of it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import uow
from propdesk.common.db import platform_of, settings_of
from propdesk.common.events import current_context
from propdesk.common.ids import uuid7
from propdesk.common.timeutil import utcnow
from propdesk.notify.service import estates, preferences, quiet, templates
from propdesk.notify.service.planning import Contact, Plan, Planned, plan
from propdesk.notify.service.providers import chain_channels
from propdesk.notify.service.recipients import Person
from propdesk.notify.service.render import render

WRITE = text("""
    WITH messages AS (
      INSERT INTO notify.message (id, estate_id, source_event_id, event_type, recipient_id, category, critical,
                                  language, title, body, context, created_at, chain_step)
      SELECT i, es, e, ty, r, ca, cr, la, ti, bo, co::jsonb, :at, st
      FROM unnest(CAST(:mi AS uuid[]), CAST(:mes AS uuid[]), CAST(:me AS uuid[]), CAST(:mty AS text[]),
                  CAST(:mr AS uuid[]), CAST(:mca AS text[]), CAST(:mcr AS boolean[]), CAST(:mla AS text[]),
                  CAST(:mti AS text[]), CAST(:mbo AS text[]), CAST(:mco AS text[]), CAST(:mst AS int[]))
           AS x(i, es, e, ty, r, ca, cr, la, ti, bo, co, st)
      ON CONFLICT (source_event_id, recipient_id) DO NOTHING
      RETURNING id
    ), deliveries AS (
      INSERT INTO notify.delivery (id, message_id, source_event_id, recipient_id, channel, state, reason, address,
                                   attempts, held_until, override, created_at, updated_at)
      SELECT i, m, e, r, c, s, why, a, 0, h, o, :at, :at
      FROM unnest(CAST(:i AS uuid[]), CAST(:m AS uuid[]), CAST(:e AS uuid[]), CAST(:r AS uuid[]),
                  CAST(:c AS text[]), CAST(:s AS text[]), CAST(:why AS text[]), CAST(:a AS text[]),
                  CAST(:h AS timestamptz[]), CAST(:o AS text[]), CAST(:old AS boolean[]))
           AS x(i, m, e, r, c, s, why, a, h, o, old)
      WHERE x.old OR x.m IN (SELECT id FROM messages)
      RETURNING id
    ), logs AS (
      INSERT INTO notify.delivery_log (id, delivery_id, at, state, detail)
      SELECT gen_random_uuid(), d, :at, s, t
      FROM unnest(CAST(:i AS uuid[]), CAST(:s AS text[]), CAST(:t AS text[])) AS x(d, s, t)
      WHERE x.d IN (SELECT id FROM deliveries)
    )
    INSERT INTO notify.timer (id, kind, key, due_at, payload, correlation_id, attempts)
    SELECT gen_random_uuid(), k, y, due, jsonb_build_object(n, f::text), co, 0
    FROM unnest(CAST(:tk AS text[]), CAST(:ty AS text[]), CAST(:tdue AS timestamptz[]), CAST(:tn AS text[]),
                CAST(:tf AS uuid[]), CAST(:tco AS text[])) AS x(k, y, due, n, f, co)
    WHERE x.f IN (SELECT id FROM deliveries) OR x.f IN (SELECT id FROM messages)
    ON CONFLICT (key) DO UPDATE SET kind = excluded.kind, due_at = excluded.due_at, payload = excluded.payload,
        attempts = 0, last_error = NULL
""")  # foreign keys are checked at the statement's end, when every row is in
MESSAGE_COLUMNS = ("mi", "mes", "me", "mty", "mr", "mca", "mcr", "mla", "mti", "mbo", "mco", "mst")
DELIVERY_COLUMNS = ("i", "m", "e", "r", "c", "s", "why", "a", "h", "o", "old", "t")
TIMER_COLUMNS = ("tk", "ty", "tdue", "tn", "tf", "tco")  # kind, key, due, payload field, its delivery or
# message, the correlation id of the event or request that planned it


@dataclass
class FanOut:
    """A unit of work's messages, deliveries and their timers, written by its flush in one statement."""

    messages: list[tuple] = field(default_factory=list)
    deliveries: list[tuple] = field(default_factory=list)
    timers: list[tuple] = field(default_factory=list)

    def message(
        self,
        *,
        estate_id: uuid.UUID | None,
        source_event_id: uuid.UUID,
        event_type: str,
        recipient_id: uuid.UUID,
        category: str,
        critical: bool,
        language: str,
        title: str,
        body: str,
        context: str,
        plan: Plan,
        chain_step_seconds: float,
        now: dt.datetime,
    ) -> uuid.UUID:
        """A new message and its planned deliveries (skipped if the event already reached this person)."""
        message_id = uuid7()
        self.messages.append(
            (
                message_id,
                estate_id,
                source_event_id,
                event_type,
                recipient_id,
                category,
                critical,
                language,
                title,
                body,
                context,
                plan.chain_step,
            )
        )
        for planned in plan.deliveries:
            self.delivery(message_id, source_event_id, recipient_id, planned, existing_message=False)
        if plan.chain:  # the chain's next step, unless somebody acknowledges first
            due = now + dt.timedelta(seconds=chain_step_seconds)
            self.timers.append(
                ("critical.chain", f"chain:{message_id}", due, "message_id", message_id, _correlation())
            )
        return message_id

    def delivery(
        self,
        message_id: uuid.UUID,
        source_event_id: uuid.UUID,
        recipient_id: uuid.UUID,
        planned: Planned,
        *,
        existing_message: bool,
    ) -> None:
        delivery_id = uuid7()
        self.deliveries.append(
            (
                delivery_id,
                message_id,
                source_event_id,
                recipient_id,
                planned.channel,
                planned.state,
                planned.reason,
                planned.address,
                planned.held_until,
                planned.override,
                existing_message,
                planned.detail,
            )
        )
        if planned.state == "pending":
            key = f"delivery:{delivery_id}"
            self.timers.append(
                ("delivery.send", key, planned.send_at, "delivery_id", delivery_id, _correlation())
            )

    def parts(self) -> list:
        return []

    def empty(self) -> bool:
        return not self.messages and not self.deliveries

    async def write(self, session: AsyncSession) -> None:
        params: dict = {"at": utcnow()}
        for names, rows in (
            (MESSAGE_COLUMNS, self.messages),
            (DELIVERY_COLUMNS, self.deliveries),
            (TIMER_COLUMNS, self.timers),
        ):
            params |= {k: [r[n] for r in rows] for n, k in enumerate(names)}
        await session.execute(WRITE, params)


def _correlation() -> str | None:
    return current_context().correlation_id


def staged(session: AsyncSession) -> FanOut:
    """This unit of work's fan-out; the first use wakes the timer worker after the commit."""
    stage = uow.stage(session, "notify.fan_out", FanOut)
    uow.wake_after_commit(session, platform_of(session).timer_channel)
    return stage


@dataclass(frozen=True)
class Audience:
    """What every message of one fan-out shares."""

    source_event_id: uuid.UUID
    event_type: str
    estate_id: uuid.UUID | None
    category: str
    critical: bool


async def fan_out(session: AsyncSession, audience: Audience, people: list[Person], context: dict) -> int:
    """A message to each person, rendered for them (their name, their language). Returns how many were
    planned (one that already reached its person is skipped when written)."""
    people = list({p.id: p for p in people}.values())
    if not people:
        return 0
    now = utcnow()
    estate = await estates.context(session, audience.estate_id)
    prefs = await preferences.for_people(session, [p.id for p in people], audience.category)
    quiet_until = await quiet.quiet_until(session, audience.estate_id, now)
    chain = await chain_channels(session) if audience.critical else []
    out, step = staged(session), settings_of(session).chain_step_seconds
    for person in people:
        personal = {
            **context,
            "estate": estate,
            "recipient": {"name": person.name, "language": person.language},
        }
        subject, body = await templates.template_for(session, audience.event_type, "inapp", person.language)
        out.message(
            estate_id=audience.estate_id,
            source_event_id=audience.source_event_id,
            event_type=audience.event_type,
            recipient_id=person.id,
            category=audience.category,
            critical=audience.critical,
            language=person.language,
            title=render(subject or "", personal),
            body=render(body, personal),
            context=json.dumps(personal, ensure_ascii=False, default=str),
            plan=plan(
                Contact(person.id, person.phone, person.email),
                critical=audience.critical,
                preferences=prefs[person.id],
                quiet_until=quiet_until,
                chain_channels=chain,
                now=now,
            ),
            chain_step_seconds=step,
            now=now,
        )
    return len(people)


async def broadcast(session: AsyncSession, audience: Audience, people: list[Person], context: dict) -> int:
    """One notice to many (thousands): rendered once per language, so its templates speak to everyone (no
    per-recipient placeholders); planned per person by the same rules as every message."""
    people = list({p.id: p for p in people}.values())
    if not people:
        return 0
    now = utcnow()
    shared = {**context, "estate": await estates.context(session, audience.estate_id)}
    rendered = {}
    for language in ("zh-CN", "en"):
        subject, body = await templates.template_for(session, audience.event_type, "inapp", language)
        rendered[language] = (render(subject or "", shared), render(body, shared))
    prefs = await preferences.for_people(session, [p.id for p in people], audience.category)
    quiet_until = await quiet.quiet_until(session, audience.estate_id, now)
    chain = await chain_channels(session) if audience.critical else []
    out, step = staged(session), settings_of(session).chain_step_seconds
    context_json = json.dumps(shared, ensure_ascii=False, default=str)
    for person in people:
        title, body = rendered["en" if person.language == "en" else "zh-CN"]
        out.message(
            estate_id=audience.estate_id,
            source_event_id=audience.source_event_id,
            event_type=audience.event_type,
            recipient_id=person.id,
            category=audience.category,
            critical=audience.critical,
            language=person.language,
            title=title,
            body=body,
            context=context_json,
            plan=plan(
                Contact(person.id, person.phone, person.email),
                critical=audience.critical,
                preferences=prefs[person.id],
                quiet_until=quiet_until,
                chain_channels=chain,
                now=now,
            ),
            chain_step_seconds=step,
            now=now,
        )
    return len(people)
