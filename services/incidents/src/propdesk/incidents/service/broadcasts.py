"""Telling residents: broadcasts to everyone in an incident's scope (estate, building, floors, units) through
notify, as critical messages; a drill tells staff only. Residents answer "I am safe" / "I need help"; the
tally counts answers per building and floor against the units in scope, and every "need help" becomes a task
for the commander."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.auth import STAFF_ROLES, Principal
from propdesk.common.contracts import incidents as ev
from propdesk.common.contracts.intake import UnitSnapshot
from propdesk.common.errors import Forbidden, IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow
from propdesk.incidents.errors import IncidentNotFound
from propdesk.incidents.models import Broadcast, HelpTask, Incident, IncidentStep, Place, Reply, Unit
from propdesk.incidents.service.incidents import entry, record_broadcast, ref, snapshot, step_action


async def on_unit(session: AsyncSession, e: UnitSnapshot) -> None:
    values = {
        "id": e.unit_id,
        "estate_id": e.estate_id,
        "building_id": e.building_id,
        "floor": e.floor,
        "number": e.number,
        "kind": e.kind,
    }
    stmt = pg_insert(Unit).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"})
    )


async def on_place(session: AsyncSession, e) -> None:
    values = {
        "id": e.place_id,
        "estate_id": e.estate_id,
        "building_id": e.building_id,
        "floor": e.floor,
        "name": e.name,
    }
    stmt = pg_insert(Place).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"})
    )


def _covers(scope: dict, unit: Unit) -> bool:
    if scope.get("all_residents"):
        return True
    if str(unit.id) in scope.get("unit_ids", []):
        return True
    if str(unit.building_id) in scope.get("building_ids", []):
        return not scope.get("floors") or unit.floor in scope["floors"]
    return False


async def concerning(session: AsyncSession, principal: Principal) -> list[dict]:
    """The active incidents a resident was told about: a broadcast to residents (not a drill) whose scope
    covers one of their units; newest first, with whether they are asked to answer and what they answered."""
    units = list((await session.execute(select(Unit).where(Unit.id.in_(list(principal.units))))).scalars())
    if not units:
        return []
    rows = (
        await session.execute(
            select(Incident, Broadcast)
            .join(Broadcast, Broadcast.incident_id == Incident.id)
            .where(
                Incident.active.is_(True),
                Incident.drill.is_(False),
                Incident.estate_id.in_([u.estate_id for u in units]),
                Broadcast.staff_only.is_(False),
                Broadcast.purpose == "incident",
            )
            .order_by(Incident.triggered_at.desc(), Broadcast.sent_at)
        )
    ).all()
    out: dict[uuid.UUID, dict] = {}
    for incident, broadcast in rows:
        mine = [u for u in units if u.estate_id == incident.estate_id and _covers(broadcast.scope, u)]
        if not mine:
            continue
        item = out.setdefault(
            incident.id,
            {
                "id": str(incident.id),
                "reference": incident.reference,
                "title": incident.title,
                "state": incident.state,
                "triggered_at": incident.triggered_at.isoformat(),
                "ask_reply": False,
                "unit_ids": [],
                "latest": None,
            },
        )
        item["ask_reply"] = item["ask_reply"] or broadcast.ask_reply
        item["unit_ids"] = sorted({*item["unit_ids"], *(str(u.id) for u in mine)})
        item["latest"] = {
            "title": broadcast.title_zh,
            "body": broadcast.body_zh,
            "sent_at": broadcast.sent_at.isoformat(),
        }
    return list(out.values())


def scope_of(incident: Incident) -> dict:
    """Who an incident's broadcasts reach, from its playbook's scope rule and where it happened."""
    rule = snapshot(incident).scope
    if rule == "units" and incident.unit_id:
        return {"unit_ids": [str(incident.unit_id)]}
    if rule in ("building", "floors") and incident.building_id:
        floors = list(incident.floors) if rule == "floors" else []
        return {"building_ids": [str(incident.building_id)], "floors": floors}
    return {"all_residents": True}


async def send(
    session: AsyncSession,
    incident: Incident,
    *,
    key: str | None,
    title_zh: str | None,
    body_zh: str | None,
    title_en: str | None,
    body_en: str | None,
    ask_reply: bool,
    scope: dict | None,
    actor: str,
) -> Broadcast:
    if not incident.active or incident.state in ("resolved",):
        raise IllegalTransition(
            Text("事件已结束", "The incident is over"), state=incident.state, action="broadcast"
        )
    book = snapshot(incident)
    if key is not None:
        if key not in book.broadcasts:
            raise InvalidInput(
                Text(
                    f"预案中没有广播 {key}",
                    f"the playbook has no broadcast {key!r} (has: {', '.join(book.broadcasts) or 'none'})",
                )
            )
        template = book.broadcasts[key]
        title_zh, body_zh = title_zh or template.title.zh, body_zh or template.body.zh
        title_en, body_en = title_en or template.title.en, body_en or template.body.en
    if not (title_zh and body_zh and title_en and body_en):
        raise InvalidInput(
            Text("广播须有中英文标题和内容", "A broadcast needs a title and a body in zh-CN and en")
        )
    target = scope or scope_of(incident)
    if incident.drill:  # a drill runs fully, but only staff hear it
        target = {"staff_roles": sorted(r.value for r in STAFF_ROLES)}
        title_zh, title_en = f"【演练】{title_zh}", f"[DRILL] {title_en}"
    texts = {"title_zh": title_zh, "body_zh": body_zh, "title_en": title_en, "body_en": body_en}
    broadcast = await record_broadcast(
        session,
        incident,
        purpose="incident",
        scope=target,
        texts=texts,
        said={
            **texts,
            "body_zh": body_zh + ("\n请回复：1 平安，2 需要帮助" if ask_reply else ""),
            "body_en": body_en + ("\nPlease reply: 1 safe, 2 need help" if ask_reply else ""),
        },
        critical=True,
        ask_reply=ask_reply,
        staff_only=incident.drill,
        actor=actor,
    )
    entry(session, incident, "broadcast", actor, title_zh, key=key, scope=target, drill=incident.drill)
    if key is not None:  # the playbook's broadcast step is done once its broadcast went out
        steps = await session.execute(
            select(IncidentStep).where(
                IncidentStep.incident_id == incident.id, IncidentStep.kind == "broadcast"
            )
        )
        for step in steps.scalars():
            if book.step(step.key).broadcast == key and step.state in ("pending", "acknowledged"):
                await step_action(session, incident, step, "complete", actor=actor, note="broadcast sent")
    await session.flush()
    return broadcast


async def reply(
    session: AsyncSession,
    incident: Incident,
    *,
    unit_id: uuid.UUID,
    status: str,
    note: str | None,
    principal: Principal,
) -> Reply:
    if not principal.is_resident_only:
        raise Forbidden(Text("由住户本人回复", "Residents answer for themselves"))
    principal.require_unit(unit_id)
    if not incident.active:
        raise IllegalTransition(
            Text("事件已结束", "The incident is over"), state=incident.state, action="reply"
        )
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.estate_id != incident.estate_id:
        raise InvalidInput(Text("房屋不属于该小区", "The unit is not in this estate"))
    return await record_reply(session, incident, unit, resident=principal.sub, status=status, note=note)


async def record_reply(
    session: AsyncSession, incident: Incident, unit: Unit, *, resident: str, status: str, note: str | None
) -> Reply:
    """A resident's answer for a unit (through the app, or an SMS reply notify heard): the latest counts in the
    tally; "need help" opens a task for the commander."""
    unit_id = unit.id
    now = utcnow()
    stmt = pg_insert(Reply).values(
        id=uuid.uuid4(),
        incident_id=incident.id,
        unit_id=unit_id,
        resident=resident,
        status=status,
        note=note,
        at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["incident_id", "unit_id", "resident"],
        set_={"status": status, "note": note, "at": now},
    ).returning(Reply)
    answer = (await session.execute(stmt)).scalar_one()
    entry(session, incident, "reply", resident, note, unit=unit.number, status=status)
    if status == "need_help":
        task = HelpTask(incident_id=incident.id, reply_id=answer.id, unit_id=unit_id, note=note, state="open")
        session.add(task)
        await session.flush()
        outbox.record(
            session,
            ev.HelpRequested(
                **ref(incident),
                reply_id=answer.id,
                unit_id=unit_id,
                unit_number=unit.number,
                floor=unit.floor,
                note=note,
            ),
            aggregate_id=incident.id,
            estate_id=incident.estate_id,
        )
    await session.flush()
    return answer


async def tally(session: AsyncSession, incident: Incident) -> dict:
    """Answers per building and floor against the units in the incident's scope (the latest answer per unit:
    one 'need help' in a unit counts the unit as needing help)."""
    scope = scope_of(incident)
    units = select(Unit).where(Unit.estate_id == incident.estate_id, Unit.kind != "parking")
    if "building_ids" in scope:
        units = units.where(Unit.building_id.in_([uuid.UUID(b) for b in scope["building_ids"]]))
        if scope.get("floors"):
            units = units.where(Unit.floor.in_(scope["floors"]))
    elif "unit_ids" in scope:
        units = units.where(Unit.id.in_([uuid.UUID(u) for u in scope["unit_ids"]]))
    in_scope = {u.id: u for u in (await session.execute(units)).scalars()}
    answers: dict[uuid.UUID, set[str]] = defaultdict(set)
    for unit_id, status in await session.execute(
        select(Reply.unit_id, Reply.status).where(Reply.incident_id == incident.id)
    ):
        answers[unit_id].add(status)
    rows: dict[tuple, dict] = {}
    for unit_id, unit in in_scope.items():
        key = (str(unit.building_id), unit.floor)
        row = rows.setdefault(
            key,
            {"building_id": key[0], "floor": key[1], "units": 0, "safe": 0, "need_help": 0, "no_answer": 0},
        )
        row["units"] += 1
        got = answers.get(unit_id, set())
        row["need_help" if "need_help" in got else "safe" if got else "no_answer"] += 1
    out = sorted(rows.values(), key=lambda r: (r["building_id"], r["floor"]))
    total = {k: sum(r[k] for r in out) for k in ("units", "safe", "need_help", "no_answer")}
    open_tasks = (
        await session.execute(
            select(func.count())
            .select_from(HelpTask)
            .where(HelpTask.incident_id == incident.id, HelpTask.state == "open")
        )
    ).scalar_one()
    return {"incident_id": str(incident.id), "total": total, "open_help_tasks": open_tasks, "by_floor": out}


async def finish_task(
    session: AsyncSession, incident: Incident, task: HelpTask, *, actor: str, note: str | None
) -> HelpTask:
    if task.state != "open":
        raise IllegalTransition(
            Text("该求助已处理", "This help request was already dealt with"), state=task.state, action="done"
        )
    task.state, task.done_at, task.done_by = "done", utcnow(), actor
    entry(session, incident, "help_given", actor, note, unit_id=task.unit_id)
    await session.flush()
    return task


async def of_incident(session: AsyncSession, incident: Incident) -> list[Broadcast]:
    rows = await session.execute(
        select(Broadcast).where(Broadcast.incident_id == incident.id).order_by(Broadcast.sent_at)
    )
    return list(rows.scalars())


async def help_tasks(session: AsyncSession, incident: Incident) -> list[HelpTask]:
    rows = await session.execute(
        select(HelpTask).where(HelpTask.incident_id == incident.id).order_by(HelpTask.created_at)
    )
    return list(rows.scalars())


async def task_of(session: AsyncSession, incident: Incident, task_id: uuid.UUID) -> HelpTask:
    task = await session.get(HelpTask, task_id, with_for_update=True)
    if task is None or task.incident_id != incident.id:
        raise IncidentNotFound(f"help task {task_id} not found")
    return task


async def for_resident(session: AsyncSession, incident_id: uuid.UUID, principal) -> Incident:
    """The incident a resident answers: none outside their estate."""
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None or not principal.can_see_estate(incident.estate_id):
        raise IncidentNotFound(f"incident {incident_id} not found")
    return incident


async def replies_of(session: AsyncSession, incident_id: uuid.UUID, resident: str) -> list[Reply]:
    rows = await session.execute(
        select(Reply).where(Reply.incident_id == incident_id, Reply.resident == resident)
    )
    return list(rows.scalars())
