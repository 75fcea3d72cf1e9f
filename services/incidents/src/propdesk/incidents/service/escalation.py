"""Deadlines that escalate: a step not acknowledged by its deadline goes one level up its chain (duty officer
→ security → manager → general manager) and again every `repeat_minutes` until someone acknowledges."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.contracts import incidents as ev
from propdesk.common.timeutil import utcnow
from propdesk.incidents.models import Incident, IncidentStep
from propdesk.incidents.playbook import STAFF_OF_ROLE, Playbook
from propdesk.incidents.service.incidents import _key, entry, ref, snapshot


def escalate(
    session: AsyncSession,
    incident: Incident,
    step: IncidentStep,
    book: Playbook,
    now: dt.datetime,
    *,
    cause: dict | None = None,
    to_level: int = 0,
) -> tuple[dict, ev.StepEscalated]:
    """One level up the step's chain (or to `to_level`, if higher; staying at the top): its timeline entry, the
    timer for the next repeat and the event that tells the new level. `cause` says why, when it is not the
    step's deadline."""
    chain = book.chain(book.step(step.key))
    step.escalation_level = min(max(step.escalation_level + 1, to_level), len(chain))
    step.escalations += 1
    role = chain[step.escalation_level - 1]
    staff_role, department = STAFF_OF_ROLE.get(role, (None, None))
    entry(
        session,
        incident,
        "escalated",
        "system",
        None,
        step=step.key,
        level=step.escalation_level,
        role=role,
        **(cause or {}),
    )
    repeat = {
        "kind": "incident.step_due",
        "key": _key(incident.id, step.key),
        "due_at": now + dt.timedelta(minutes=book.repeat_minutes),
        "payload": {"incident_id": str(incident.id), "step": step.key},
    }
    title = book.step(step.key).title
    event = ev.StepEscalated(
        **ref(incident),
        step=step.key,
        step_title_zh=title.zh,
        step_title_en=title.en,
        due_at=step.due_at,
        level=step.escalation_level,
        role=role,
        staff_role=staff_role,
        department=department,
        escalations=step.escalations,
    )
    return repeat, event


async def on_steps_due(session: AsyncSession, batch: list[timers.Timer]) -> None:
    """Every due step deadline at once (a batch handler): one query for the incidents, one for their steps,
    the escalations' events in bulk, each repeat scheduled in one statement. A step still pending goes one
    level up its chain (staying at the top) and will be escalated again after `repeat_minutes`; an incident a
    request holds locked keeps its timer, retried a second later."""
    found = await timers.lock_for_batch(session, Incident, batch, "incident_id")
    now = utcnow()
    steps = {
        (s.incident_id, s.key): s
        for s in (
            await session.execute(
                select(IncidentStep).where(
                    IncidentStep.incident_id.in_(list(found)), IncidentStep.state == "pending"
                )
            )
        ).scalars()
    }
    books: dict[uuid.UUID, Playbook] = {}
    repeats, events = [], []
    for t in batch:
        incident = found.get(uuid.UUID(t.payload["incident_id"]))
        if incident is None or not incident.active or incident.state == "resolved":
            continue
        step = steps.get((incident.id, t.payload["step"]))
        if step is None:
            continue
        book = books.setdefault(incident.id, snapshot(incident))
        repeat, event = escalate(session, incident, step, book, now)
        repeats.append(repeat)
        events.append((incident, event))
    timers.schedule_many(session, repeats)
    await session.flush()
    for estate_id in {i.estate_id for i, _ in events}:
        outbox.record_many(
            session, [(e, i.id) for i, e in events if i.estate_id == estate_id], estate_id=estate_id
        )
