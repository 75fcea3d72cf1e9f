"""Running an incident: trigger (a duty officer, a repairs event, later an alarm panel), a new report about
an active incident linked instead of opened again, states with who and when, steps acknowledged, completed
or skipped, every deadline a durable timer whose expiry escalates along the step's chain and repeats until
someone acknowledges, outside parties, and the timeline of it all.

States: triggered → acknowledged → stabilised → resolved → closed; triggered/acknowledged → cancelled."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, projections, timers
from propdesk.common.contracts import incidents as ev
from propdesk.common.db import settings_of
from propdesk.common.errors import IllegalTransition, InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref
from propdesk.common.timeutil import to_local, utcnow
from propdesk.incidents.models import (
    Incident,
    IncidentEntry,
    IncidentParty,
    IncidentStep,
    OutageReport,
    estate,
)
from propdesk.incidents.playbook import STAFF_OF_ROLE, Playbook
from propdesk.incidents.service import playbooks

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({"triggered"}), "acknowledged"),
    "stabilise": (frozenset({"acknowledged"}), "stabilised"),
    "resolve": (frozenset({"acknowledged", "stabilised"}), "resolved"),
    "close": (frozenset({"resolved"}), "closed"),
    "cancel": (frozenset({"triggered", "acknowledged"}), "cancelled"),
}
STEP_ACTIONS: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({"pending"}),
    "complete": frozenset({"pending", "acknowledged"}),
    "skip": frozenset({"pending", "acknowledged"}),
}
STAMP = {
    "acknowledged": "acknowledged_at",
    "stabilised": "stabilised_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
}


class PlaybookNotFound(NotFound):
    code = "playbook-not-found"
    title = Text("应急预案不存在", "Playbook not found")


def ref(i: Incident) -> dict:
    return {
        "incident_id": i.id,
        "estate_id": i.estate_id,
        "reference": i.reference,
        "playbook": i.playbook_key,
        "severity": i.severity,
        "drill": i.drill,
        "title": i.title,
        "location": i.location,
        "building_id": i.building_id,
    }


def entry(
    session: AsyncSession, incident: Incident, kind: str, actor: str, note: str | None = None, **data
) -> None:
    session.add(
        IncidentEntry(
            incident_id=incident.id,
            kind=kind,
            actor=actor,
            note=note,
            data={k: (str(v) if isinstance(v, uuid.UUID | dt.datetime) else v) for k, v in data.items()},
        )
    )


def _key(incident_id: uuid.UUID, step: str) -> str:
    return f"inc:{incident_id}:{step}"


async def trigger(
    session: AsyncSession,
    estate_id: uuid.UUID,
    key: str,
    *,
    description: str,
    building_id: uuid.UUID | None = None,
    place_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    floors: list[int] | None = None,
    location: str = "",
    drill: bool = False,
    source: str = "api",
    source_ref: str | None = None,
    actor: str,
) -> tuple[Incident, bool]:
    """Start the estate's playbook `key`, or link this report to the active incident it describes (same
    playbook, same building; the whole estate for estate-wide playbooks). Returns (incident, linked)."""
    await projections.require_known_estate(session, estate, estate_id, "incidents")
    found = await playbooks.effective(session, estate_id, key)
    if found is None:
        raise PlaybookNotFound(f"no playbook {key!r} for this estate")
    book, _ = found
    if not drill:
        active = (
            await session.execute(
                select(Incident)
                .where(
                    Incident.estate_id == estate_id,
                    Incident.playbook_key == key,
                    Incident.active.is_(True),
                    Incident.drill.is_(False),
                    (Incident.building_id == building_id)
                    if building_id is not None and book.scope != "estate"
                    else text("true"),
                )
                .order_by(Incident.triggered_at)
                .limit(1)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if active is not None:
            active.reports += 1
            entry(session, active, "report_linked", actor, description, source=source, source_ref=source_ref)
            await session.flush()
            outbox.record(
                session,
                ev.ReportLinked(**ref(active), reports=active.reports, source_ref=source_ref),
                aggregate_id=active.id,
                estate_id=estate_id,
            )
            return active, True
    now = utcnow()
    number = (await session.execute(text("SELECT nextval('incidents.incident_number')"))).scalar_one()
    incident = Incident(
        estate_id=estate_id,
        reference=human_ref("DRL" if drill else "INC", f"{to_local(now):%Y%m}", number),
        playbook_key=book.key,
        playbook_version=book.version,
        playbook=book.model_dump(mode="json"),
        severity=book.severity,
        drill=drill,
        state="triggered",
        active=True,
        title=book.name.zh + (" （演练）" if drill else ""),
        description=description,
        building_id=building_id,
        place_id=place_id,
        unit_id=unit_id,
        floors=list(floors or []),
        location=location,
        source=source,
        source_ref=source_ref,
        reports=1,
        triggered_by=actor,
        triggered_at=now,
    )
    session.add(incident)
    await session.flush()
    for position, step in enumerate(book.steps):
        due = now + dt.timedelta(minutes=step.deadline_minutes)
        session.add(
            IncidentStep(
                incident_id=incident.id,
                key=step.key,
                position=position,
                role=step.role,
                kind=step.kind,
                due_at=due,
                state="pending",
                escalation_level=0,
                escalations=0,
            )
        )
    timers.schedule_many(
        session,
        [
            {
                "kind": "incident.step_due",
                "key": _key(incident.id, step.key),
                "due_at": now + dt.timedelta(minutes=step.deadline_minutes),
                "payload": {"incident_id": str(incident.id), "step": step.key},
            }
            for step in book.steps
        ],
    )
    entry(
        session,
        incident,
        "triggered",
        actor,
        description,
        playbook=book.key,
        version=book.version,
        drill=drill,
        source=source,
    )
    await session.flush()
    outbox.record(
        session,
        ev.IncidentTriggered(**ref(incident), description=description, source=source, triggered_at=now),
        aggregate_id=incident.id,
        estate_id=estate_id,
    )
    return incident, False


def snapshot(incident: Incident) -> Playbook:
    return Playbook.model_validate(incident.playbook)


async def act(
    session: AsyncSession, incident: Incident, action: str, *, actor: str, note: str | None
) -> Incident:
    allowed, target = TRANSITIONS[action]
    if incident.state not in allowed:
        raise IllegalTransition(
            Text(
                f"状态为 {incident.state} 的事件不能执行 {action}",
                f"an incident in state {incident.state} cannot be {action}d",
            ),
            state=incident.state,
            action=action,
        )
    now = utcnow()
    incident.state = target
    if target in STAMP:
        setattr(incident, STAMP[target], now)
    if target == "acknowledged":
        incident.acknowledged_by = actor
    if target in ("resolved", "cancelled", "closed"):
        steps = (
            await session.execute(select(IncidentStep).where(IncidentStep.incident_id == incident.id))
        ).scalars()
        timers.cancel_many(session, [_key(incident.id, s.key) for s in steps])
    if target in ("closed", "cancelled"):
        incident.active = False
    entry(session, incident, action, actor, note, state=target)
    await session.flush()
    outbox.record(
        session,
        ev.IncidentStateChanged(**ref(incident), state=target, by=actor, at=now),
        aggregate_id=incident.id,
        estate_id=incident.estate_id,
    )
    return incident


async def step_action(
    session: AsyncSession,
    incident: Incident,
    step: IncidentStep,
    action: str,
    *,
    actor: str,
    note: str | None,
) -> IncidentStep:
    if not incident.active or incident.state in ("resolved",):
        raise IllegalTransition(
            Text("事件已结束，步骤不能再变更", "The incident is over; its steps no longer change"),
            state=incident.state,
            action=action,
        )
    if step.state not in STEP_ACTIONS[action]:
        raise IllegalTransition(
            Text(f"状态为 {step.state} 的步骤不能执行 {action}", f"a {step.state} step cannot be {action}d"),
            state=step.state,
            action=action,
        )
    if action == "skip" and not note:
        raise InvalidInput(Text("跳过步骤须说明原因", "Skipping a step needs a note saying why"))
    book = snapshot(incident)
    if action == "complete":
        waiting = [
            d
            for d in book.step(step.key).depends_on
            if await _state_of(session, incident.id, d) not in ("completed", "skipped")
        ]
        if waiting:
            raise IllegalTransition(
                Text(f"须先完成：{', '.join(waiting)}", f"these steps come first: {', '.join(waiting)}"),
                state=step.state,
                action=action,
                waiting=waiting,
            )
    now = utcnow()
    if action == "acknowledge":
        step.state, step.acknowledged_at, step.acknowledged_by = "acknowledged", now, actor
    else:
        step.state, step.done_at, step.done_by = (
            ("completed" if action == "complete" else "skipped"),
            now,
            actor,
        )
        step.acknowledged_at = step.acknowledged_at or now
        step.acknowledged_by = step.acknowledged_by or actor
    step.note = note or step.note
    timers.cancel(session, _key(incident.id, step.key))  # acknowledgement stops the escalation
    late = now > step.due_at
    entry(session, incident, f"step_{action}", actor, note, step=step.key, late=late, due_at=step.due_at)
    await session.flush()
    return step


async def _state_of(session: AsyncSession, incident_id: uuid.UUID, key: str) -> str | None:
    return (
        await session.execute(
            select(IncidentStep.state).where(IncidentStep.incident_id == incident_id, IncidentStep.key == key)
        )
    ).scalar()


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
        chain = book.chain(book.step(step.key))
        step.escalation_level = min(step.escalation_level + 1, len(chain))
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
        )
        repeats.append(
            {
                "kind": "incident.step_due",
                "key": _key(incident.id, step.key),
                "due_at": now + dt.timedelta(minutes=book.repeat_minutes),
                "payload": {"incident_id": str(incident.id), "step": step.key},
            }
        )
        title = book.step(step.key).title
        events.append(
            (
                incident,
                ev.StepEscalated(
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
                ),
            )
        )
    timers.schedule_many(session, repeats)
    await session.flush()
    for estate_id in {i.estate_id for i, _ in events}:
        outbox.record_many(
            session, [(e, i.id) for i, e in events if i.estate_id == estate_id], estate_id=estate_id
        )


async def outage_reported(session: AsyncSession, event) -> Incident | None:
    """Count no-power / no-water reports per building; enough of them within the window start the outage
    playbook (later ones join the active incident)."""
    settings = settings_of(session)
    session.add(
        OutageReport(
            estate_id=event.estate_id,
            building_id=event.building_id,
            kind=event.kind,
            reference=event.reference,
            reported_at=event.reported_at,
        )
    )
    await session.flush()
    since = event.reported_at - dt.timedelta(minutes=settings.outage_reports_window_minutes)
    recent = (
        await session.execute(
            select(func.count())
            .select_from(OutageReport)
            .where(
                OutageReport.estate_id == event.estate_id,
                OutageReport.building_id == event.building_id,
                OutageReport.kind == event.kind,
                OutageReport.reported_at >= since,
            )
        )
    ).scalar_one()
    if recent < settings.outage_reports_threshold:
        return None
    incident, _ = await trigger(
        session,
        event.estate_id,
        f"{event.kind}_outage",
        description=f"{recent} 户在 {settings.outage_reports_window_minutes} 分钟内报告{'停电' if event.kind == 'power' else '停水'} "
        f"({recent} reports within {settings.outage_reports_window_minutes} min; latest {event.reference})",
        building_id=event.building_id,
        location=event.location,
        source="event",
        source_ref=event.reference,
        actor="repairs",
    )
    return incident


async def call_party(
    session: AsyncSession,
    incident: Incident,
    *,
    kind: str,
    name: str,
    phone: str | None,
    promised_at: dt.datetime | None,
    actor: str,
) -> IncidentParty:
    if not incident.active:
        raise IllegalTransition(
            Text("事件已结束", "The incident is over"), state=incident.state, action="call"
        )
    party = IncidentParty(
        incident_id=incident.id,
        kind=kind,
        name=name,
        phone=phone,
        called_at=utcnow(),
        called_by=actor,
        promised_at=promised_at,
    )
    session.add(party)
    await session.flush()
    entry(session, incident, "party_called", actor, None, party=kind, name=name, promised_at=promised_at)
    return party


async def party_arrived(
    session: AsyncSession, incident: Incident, party: IncidentParty, *, actor: str
) -> IncidentParty:
    if party.arrived_at is not None:
        raise IllegalTransition(
            Text("已登记到场", "Already recorded as arrived"), state="arrived", action="arrived"
        )
    party.arrived_at = utcnow()
    late = party.promised_at is not None and party.arrived_at > party.promised_at
    entry(session, incident, "party_arrived", actor, None, party=party.kind, name=party.name, late=late)
    await session.flush()
    return party
