"""Fan-out: an event (or a notice) becomes one message per recipient, in their language, and the deliveries
`planning` decides for it. (source event, recipient) is unique for messages and (source event, recipient,
channel) for deliveries, so a redelivered event sends nothing twice.

Everything a unit of work fans out (a consumer batch's events, a broadcast to thousands, a critical message)
is staged in its `FanOut` and written by the unit of work's flush in ONE statement: the messages, their
deliveries, the log lines worth writing, the send timers and the critical chains' timers. Ids are made by
PostgreSQL, the timers and log lines are derived from the deliveries inserted, and a message that already
reached its recipient is skipped with everything of it. People of the same shape (which addresses they have,
their choices) share one plan, and a text sent to many travels once.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import timers, uow
from propdesk.common.db import platform_of, settings_of
from propdesk.common.events import current_context
from propdesk.common.timeutil import utcnow
from propdesk.notify.models import Delivery, DeliveryLog, Message
from propdesk.notify.service import estates, preferences, quiet, templates
from propdesk.notify.service.planning import Contact, Plan, Planned, Preferences, address_for, plan, shape
from propdesk.notify.service.providers import chain_channels
from propdesk.notify.service.recipients import Person
from propdesk.notify.service.render import render

WRITE = text("""
    WITH inputs AS (
      SELECT * FROM unnest(CAST(:e AS uuid[]), CAST(:r AS uuid[]), CAST(:es AS uuid[]), CAST(:ty AS text[]),
                           CAST(:ca AS text[]), CAST(:cr AS boolean[]), CAST(:la AS text[]), CAST(:ti AS int[]),
                           CAST(:bo AS int[]), CAST(:cx AS int[]), CAST(:st AS int[]), CAST(:co AS text[]))
             WITH ORDINALITY AS x(e, r, es, ty, ca, cr, la, ti, bo, cx, st, co, n)
    ), messages AS (
      INSERT INTO notify.message (id, estate_id, source_event_id, event_type, recipient_id, category, critical,
                                  language, title, body, context, created_at, chain_step)
      SELECT gen_random_uuid(), es, e, ty, r, ca, cr, la, (CAST(:titles AS text[]))[ti],
             (CAST(:bodies AS text[]))[bo], (CAST(:contexts AS jsonb[]))[cx], :at, st
      FROM inputs
      ON CONFLICT (source_event_id, recipient_id) DO NOTHING
      RETURNING id, source_event_id, recipient_id, chain_step
    ), made AS (
      SELECT m.id, m.chain_step, i.n, i.e, i.r, i.co
      FROM messages m JOIN inputs i ON i.e = m.source_event_id AND i.r = m.recipient_id
    ), deliveries AS (
      INSERT INTO notify.delivery (id, message_id, source_event_id, recipient_id, channel, state, reason, address,
                                   attempts, held_until, override, created_at, updated_at)
      SELECT gen_random_uuid(), made.id, made.e, made.r, d.c, d.s, d.why, d.a, 0, d.h, d.o, :at, :at
      FROM unnest(CAST(:dn AS int[]), CAST(:dc AS text[]), CAST(:ds AS text[]), CAST(:dwhy AS text[]),
                  CAST(:da AS text[]), CAST(:dh AS timestamptz[]), CAST(:do AS text[])) AS d(n, c, s, why, a, h, o)
      JOIN made ON made.n = d.n
      RETURNING id, message_id, state, reason, override, held_until
    ), logs AS (
      INSERT INTO notify.delivery_log (id, delivery_id, at, state, detail)
      SELECT gen_random_uuid(), id, :at, state, concat_ws('; ', reason, 'critical overrides ' || override)
      FROM deliveries WHERE reason IS NOT NULL OR override IS NOT NULL
    ), sends AS (
      INSERT INTO notify.timer (id, kind, key, due_at, payload, correlation_id, attempts)
      SELECT gen_random_uuid(), 'delivery.send', 'delivery:' || d.id, COALESCE(d.held_until, :at),
             jsonb_build_object('delivery_id', d.id::text), made.co, 0
      FROM deliveries d JOIN made ON made.id = d.message_id
      WHERE d.state = 'pending'
    )
    INSERT INTO notify.timer (id, kind, key, due_at, payload, correlation_id, attempts)
    SELECT gen_random_uuid(), 'critical.chain', 'chain:' || id, :at + make_interval(secs => :step),
           jsonb_build_object('message_id', id::text), co, 0
    FROM made WHERE chain_step > 0
""")  # foreign keys are checked at the statement's end, when every row is in


@dataclass
class FanOut:
    """A unit of work's new messages and their planned deliveries, written by its flush in one statement."""

    step_seconds: float
    messages: list[tuple] = field(default_factory=list)
    deliveries: list[tuple] = field(default_factory=list)
    texts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {"titles": {}, "bodies": {}, "contexts": {}}
    )

    def message(
        self,
        *,
        estate_id: uuid.UUID | None,
        source_event_id: uuid.UUID,
        event_type: str,
        contact: Contact,
        category: str,
        critical: bool,
        language: str,
        title: str,
        body: str,
        context: str,
        plan: Plan,
    ) -> None:
        """A new message and its planned deliveries (skipped if the event already reached this person)."""
        n = len(self.messages) + 1  # the message's ordinal in the statement's inputs
        self.messages.append(
            (
                source_event_id,
                contact.id,
                estate_id,
                event_type,
                category,
                critical,
                language,
                self._text("titles", title),
                self._text("bodies", body),
                self._text("contexts", context),
                plan.chain_step,
                current_context().correlation_id,
            )
        )
        for planned in plan.deliveries:
            self.deliveries.append(
                (
                    n,
                    planned.channel,
                    planned.state,
                    planned.reason,
                    address_for(contact, planned.channel),
                    planned.held_until,
                    planned.override,
                )
            )

    def _text(self, kind: str, value: str) -> int:
        known = self.texts[kind]
        return known.setdefault(value, len(known) + 1)

    def parts(self) -> list:
        return []

    def empty(self) -> bool:
        return not self.messages

    async def write(self, session: AsyncSession) -> None:
        names = ("e", "r", "es", "ty", "ca", "cr", "la", "ti", "bo", "cx", "st", "co")
        params: dict = {k: [m[i] for m in self.messages] for i, k in enumerate(names)}
        for i, k in enumerate(("dn", "dc", "ds", "dwhy", "da", "dh", "do")):
            params[k] = [d[i] for d in self.deliveries]
        for kind, known in self.texts.items():
            params[kind] = list(known)  # in the order numbered (dicts keep insertion order)
        await session.execute(WRITE, {**params, "at": utcnow(), "step": self.step_seconds})


def staged(session: AsyncSession) -> FanOut:
    """This unit of work's fan-out; the first use wakes the timer worker after the commit."""
    step = settings_of(session).chain_step_seconds
    stage = uow.stage(session, "notify.fan_out", lambda: FanOut(step))
    uow.wake_after_commit(session, platform_of(session).timer_channel)
    return stage


def add_delivery(session: AsyncSession, message: Message, contact: Contact, planned: Planned) -> None:
    """One more delivery of a message already written (the next step of a critical chain)."""
    delivery = Delivery(
        message_id=message.id,
        source_event_id=message.source_event_id,
        recipient_id=message.recipient_id,
        channel=planned.channel,
        state=planned.state,
        reason=planned.reason,
        address=address_for(contact, planned.channel),
        attempts=0,
        held_until=planned.held_until,
        override=planned.override,
    )
    uow.add(session, delivery)
    if planned.detail:
        uow.add(session, DeliveryLog(delivery_id=delivery.id, state=planned.state, detail=planned.detail))
    if planned.state == "pending":
        timers.schedule(
            session,
            kind="delivery.send",
            key=f"delivery:{delivery.id}",
            due_at=planned.send_at,
            payload={"delivery_id": str(delivery.id)},
        )


@dataclass(frozen=True)
class Audience:
    """What every message of one fan-out shares."""

    source_event_id: uuid.UUID
    event_type: str
    estate_id: uuid.UUID | None
    category: str
    critical: bool
    routine_staff: bool = False  # staff hear of it in the inbox (and the digest) unless they chose a channel


class _Planner:
    """Plans for one fan-out, one per shape of person (which addresses they have, their choices)."""

    def __init__(self, session: AsyncSession, audience: Audience, now: dt.datetime) -> None:
        self.session, self.audience, self.now = session, audience, now
        self.plans: dict[tuple, Plan] = {}

    async def prepare(self) -> None:
        self.quiet_until = await quiet.quiet_until(self.session, self.audience.estate_id, self.now)
        self.chain = (
            await chain_channels(self.session, self.audience.estate_id) if self.audience.critical else []
        )

    def plan(self, contact: Contact, prefs: Preferences) -> Plan:
        key = shape(contact, prefs)
        found = self.plans.get(key)
        if found is None:
            found = self.plans[key] = plan(
                contact,
                critical=self.audience.critical,
                preferences=prefs,
                quiet_until=self.quiet_until,
                chain_channels=self.chain,
                now=self.now,
            )
        return found


async def fan_out(session: AsyncSession, audience: Audience, people: list[Person], context: dict) -> int:
    """A message to each person, rendered for them (their name, their language). Returns how many were
    planned (one that already reached its person is skipped when written)."""
    people = list({p.id: p for p in people}.values())
    if not people:
        return 0
    planner = _Planner(session, audience, utcnow())
    await planner.prepare()
    estate = await estates.context(session, audience.estate_id)
    prefs = await preferences.for_people(session, [p.id for p in people], audience.category)
    out = staged(session)
    for person in people:
        personal = {
            **context,
            "estate": estate,
            "recipient": {"name": person.name, "language": person.language},
        }
        subject, body = await templates.template_for(
            session, audience.event_type, "inapp", person.language, audience.estate_id
        )
        contact = Contact(person.id, person.phone, person.email)
        _message(
            out,
            audience,
            contact,
            person.language,
            render(subject or "", personal),
            render(body, personal),
            json.dumps(personal, ensure_ascii=False, default=str),
            planner.plan(contact, _choices(audience, person, prefs[person.id])),
        )
    return len(people)


def _choices(audience: Audience, person: Person, prefs: Preferences) -> Preferences:
    return prefs.routine_for_staff() if audience.routine_staff and person.kind == "staff" else prefs


async def broadcast(session: AsyncSession, audience: Audience, people: list[Person], context: dict) -> int:
    """One notice to many (thousands): rendered once per language, so its templates speak to everyone (no
    per-recipient placeholders); planned per person by the same rules as every message."""
    people = list({p.id: p for p in people}.values())
    if not people:
        return 0
    planner = _Planner(session, audience, utcnow())
    await planner.prepare()
    shared = {**context, "estate": await estates.context(session, audience.estate_id)}
    rendered = {}
    for language in ("zh-CN", "en"):
        subject, body = await templates.template_for(
            session, audience.event_type, "inapp", language, audience.estate_id
        )
        rendered[language] = (render(subject or "", shared), render(body, shared))
    prefs = await preferences.for_people(session, [p.id for p in people], audience.category, cache=False)
    out, context_json = staged(session), json.dumps(shared, ensure_ascii=False, default=str)
    for person in people:
        title, body = rendered["en" if person.language == "en" else "zh-CN"]
        contact = Contact(person.id, person.phone, person.email)
        _message(
            out,
            audience,
            contact,
            person.language,
            title,
            body,
            context_json,
            planner.plan(contact, _choices(audience, person, prefs[person.id])),
        )
    return len(people)


def _choices(audience: Audience, person: Person, prefs: Preferences) -> Preferences:
    return prefs.routine_for_staff() if audience.routine_staff and person.kind == "staff" else prefs


def _message(
    out: FanOut, audience: Audience, contact: Contact, language, title, body, context, planned
) -> None:
    out.message(
        estate_id=audience.estate_id,
        source_event_id=audience.source_event_id,
        event_type=audience.event_type,
        contact=contact,
        category=audience.category,
        critical=audience.critical,
        language=language,
        title=title,
        body=body,
        context=context,
        plan=planned,
    )
