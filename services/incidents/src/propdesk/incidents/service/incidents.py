"""Running an incident: states with who and when, steps acknowledged, completed or skipped, outside parties,
notes, and the timeline of it all; the incident as the API shows it. Triggering is `triggering`, deadlines
that escalate are `escalation`.

States: triggered → acknowledged → stabilised → resolved → closed; triggered/acknowledged → cancelled."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal
from propdesk.common.contracts import incidents as ev
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, page_of, paginate
from propdesk.common.timeutil import utcnow
from propdesk.incidents.errors import IncidentNotFound
from propdesk.incidents.models import (
    Broadcast,
    Incident,
    IncidentEntry,
    IncidentParty,
    IncidentStep,
)
from propdesk.incidents.playbook import Playbook
from propdesk.incidents.schemas import EntryRead, IncidentRead, PartyRead, StepRead

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
    if target == "resolved":  # the residents who were warned hear it is over
        await all_clear(session, incident, actor)
    outbox.record(
        session,
        ev.IncidentStateChanged(**ref(incident), state=target, by=actor, at=now),
        aggregate_id=incident.id,
        estate_id=incident.estate_id,
    )
    return incident


async def record_broadcast(
    session: AsyncSession,
    incident: Incident,
    *,
    purpose: str,
    scope: dict,
    texts: dict[str, str],
    critical: bool,
    ask_reply: bool,
    staff_only: bool,
    actor: str,
    said: dict[str, str] | None = None,
) -> Broadcast:
    """A broadcast kept on the incident and asked of notify (its `said` texts, when they differ from the kept
    ones: a reply prompt added)."""
    broadcast = Broadcast(
        estate_id=incident.estate_id,
        incident_id=incident.id,
        purpose=purpose,
        scope=scope,
        ask_reply=ask_reply,
        staff_only=staff_only,
        sent_at=utcnow(),
        sent_by=actor,
        **texts,
    )
    session.add(broadcast)
    await session.flush()
    outbox.record(
        session,
        ev.BroadcastRequested(
            broadcast_id=broadcast.id,
            estate_id=incident.estate_id,
            incident_id=incident.id,
            reference=incident.reference,
            purpose=purpose,
            critical=critical,
            ask_reply=ask_reply,
            **(said or texts),
            **scope,
        ),
        aggregate_id=incident.id,
        estate_id=incident.estate_id,
    )
    return broadcast


async def all_clear(session: AsyncSession, incident: Incident, actor: str) -> Broadcast | None:
    """The emergency is over: everyone who got its broadcasts hears so (the same scope as the last one, not
    as a critical message); nothing when no resident was told (a drill told staff only)."""
    last = (
        await session.execute(
            select(Broadcast)
            .where(Broadcast.incident_id == incident.id, Broadcast.staff_only.is_(False))
            .order_by(Broadcast.sent_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is None:
        return None
    texts = {
        "title_zh": f"【解除】{incident.title}",
        "body_zh": f"{incident.title}（{incident.reference}）已处理完毕，现已恢复正常。感谢您的配合。",
        "title_en": f"[All clear] {snapshot(incident).name.en}",
        "body_en": f"{snapshot(incident).name.en} ({incident.reference}) is over; things are back to normal. "
        "Thank you for your patience.",
    }
    broadcast = await record_broadcast(
        session,
        incident,
        purpose="incident_all_clear",
        scope=last.scope,
        texts=texts,
        critical=False,
        ask_reply=False,
        staff_only=False,
        actor=actor,
    )
    entry(session, incident, "broadcast", actor, texts["title_zh"], key="all_clear", scope=last.scope)
    return broadcast


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
    return await record_step(session, incident, step, action, actor=actor, note=note)


async def record_step(
    session: AsyncSession,
    incident: Incident,
    step: IncidentStep,
    action: str,
    *,
    actor: str,
    note: str | None,
) -> IncidentStep:
    """A step acknowledged, completed or skipped (checked by the caller): its stamps, the end of its
    escalation, the timeline."""
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


async def note(session: AsyncSession, incident: Incident, *, actor: str, text_: str) -> Incident:
    entry(session, incident, "note", actor, text_)
    await session.flush()
    return incident


# ---------------------------------------------------------------- as the API shows it


async def get(
    session: AsyncSession, incident_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Incident:
    i = await session.get(Incident, incident_id, with_for_update=lock)
    if i is None:
        raise IncidentNotFound(f"incident {incident_id} not found")
    principal.require_estate(i.estate_id)
    return i


async def step_of(session: AsyncSession, incident: Incident, key: str) -> IncidentStep:
    row = (
        await session.execute(
            select(IncidentStep)
            .where(IncidentStep.incident_id == incident.id, IncidentStep.key == key)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise IncidentNotFound(f"incident {incident.id} has no step {key!r}")
    return row


async def party_of(session: AsyncSession, incident: Incident, party_id: uuid.UUID) -> IncidentParty:
    party = await session.get(IncidentParty, party_id, with_for_update=True)
    if party is None or party.incident_id != incident.id:
        raise IncidentNotFound(f"party {party_id} not found for this incident")
    return party


async def listing(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    active: bool | None,
    drill: bool | None,
    playbook: str | None,
    params: PageParams,
) -> tuple[list[IncidentRead], str | None]:
    stmt = select(Incident).where(Incident.estate_id == estate_id)
    for column, value in (
        (Incident.active, active),
        (Incident.drill, drill),
        (Incident.playbook_key, playbook),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows = (
        await session.execute(paginate(stmt, params, key=Incident.created_at, tiebreak=Incident.id))
    ).scalars()
    items, cursor = page_of(list(rows), params, cursor_of=lambda i: [i.created_at.isoformat(), str(i.id)])
    return [await read(session, i, full=False) for i in items], cursor


EXTRA = ("linked", "steps", "parties", "timeline")


async def read(
    session: AsyncSession, i: Incident, *, full: bool = True, linked: bool = False
) -> IncidentRead:
    """The incident with its steps against their deadlines, its parties and its timeline."""
    fields = {f: getattr(i, f) for f in IncidentRead.model_fields if f not in EXTRA}
    view = IncidentRead.model_validate({**fields, "linked": linked})
    if not full:
        return view
    book, now = snapshot(i), utcnow()
    steps = (
        await session.execute(
            select(IncidentStep).where(IncidentStep.incident_id == i.id).order_by(IncidentStep.position)
        )
    ).scalars()
    view.steps = []
    for s in steps:
        title = book.step(s.key).title
        done = s.acknowledged_at or s.done_at
        late = (done or now) > s.due_at if s.state != "skipped" else False
        view.steps.append(
            StepRead.model_validate(s).model_copy(
                update={"title_zh": title.zh, "title_en": title.en, "late": late}
            )
        )
    parties = await session.execute(
        select(IncidentParty).where(IncidentParty.incident_id == i.id).order_by(IncidentParty.called_at)
    )
    entries = await session.execute(
        select(IncidentEntry).where(IncidentEntry.incident_id == i.id).order_by(IncidentEntry.id)
    )
    view.parties = [PartyRead.model_validate(p) for p in parties.scalars()]
    view.timeline = [EntryRead.model_validate(e) for e in entries.scalars()]
    return view
