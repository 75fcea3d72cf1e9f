"""Violations (违章): recorded with photo evidence and served a rectification notice (整改通知) with a
deadline on a durable timer. A deadline passed without rectification escalates (supervisor, then manager),
again every few days until the top; a re-inspection closes it as rectified; a fine goes to billing as a
one-off charge (`intake.violation.fined`)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal, unit_filter
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import Forbidden, IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.common.timeutil import to_local, utcnow
from propdesk.intake.errors import RenovationNotFound, ViolationNotFound, WrongEstate
from propdesk.intake.models import Place, Renovation, Unit, Violation, ViolationFine
from propdesk.intake.schemas import ActivityRead, ViolationAction, ViolationFound, ViolationRead
from propdesk.intake.service import activity, policy
from propdesk.intake.service.activity import actor_of, log
from propdesk.intake.service.followups import household_contact

TOP_LEVEL = 2  # 1: supervisor, 2: manager
LIVE = frozenset({"open", "noticed"})
ALLOWED = {
    "notice": LIVE,
    "reinspect": frozenset({"noticed"}),
    "fine": frozenset({"open", "noticed", "rectified"}),
    "cancel": LIVE,
}


def ref(v: Violation) -> dict:
    return {
        "violation_id": v.id,
        "estate_id": v.estate_id,
        "reference": v.reference,
        "unit_id": v.unit_id,
        "resident_id": v.resident_id,
        "type": v.type,
        "renovation_id": v.renovation_id,
    }


def _key(v: Violation) -> str:
    return f"violation:{v.id}:deadline"


async def record(
    session: AsyncSession,
    estate_id: uuid.UUID,
    data: ViolationFound,
    *,
    unit_id: uuid.UUID | None,
    place_id: uuid.UUID | None = None,
    renovation_id: uuid.UUID | None = None,
    principal: Principal,
) -> Violation:
    """Record a violation and serve its first notice at once (the deadline from the estate's policy)."""
    if unit_id is not None:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise WrongEstate(f"unit {unit_id} is not a unit of this estate")
    if place_id is not None:
        place = await session.get(Place, place_id)
        if place is None or place.estate_id != estate_id:
            raise WrongEstate(f"place {place_id} is not a place of this estate")
    now = utcnow()
    number = (await session.execute(text("SELECT nextval('intake.violation_number')"))).scalar_one()
    violation = Violation(
        estate_id=estate_id,
        reference=human_ref("VIO", f"{to_local(now):%Y%m}", number),
        unit_id=unit_id,
        place_id=place_id,
        resident_id=await household_contact(session, unit_id),
        renovation_id=renovation_id,
        type=data.type,
        description=data.description,
        evidence=list(data.evidence),
        state="open",
        notice_count=0,
        escalation_level=0,
        reported_by=actor_of(principal),
        fines_fen=0,
    )
    session.add(violation)
    await session.flush()
    log(
        session,
        "violation",
        violation.id,
        "recorded",
        violation.reported_by,
        data.description,
        type=data.type,
    )
    days = data.rectify_days or (await policy.load(session, estate_id)).violation_rectify_days
    await _notice(session, violation, now + dt.timedelta(days=days), violation.reported_by, None)
    return violation


async def _notice(
    session: AsyncSession, violation: Violation, deadline: dt.datetime, actor: str, note: str | None
) -> None:
    violation.state, violation.deadline = "noticed", deadline
    violation.notice_count += 1
    timers.schedule(
        session,
        kind="violation.deadline",
        key=_key(violation),
        due_at=deadline,
        payload={"violation_id": str(violation.id)},
    )
    log(session, "violation", violation.id, "noticed", actor, note, deadline=deadline.isoformat())
    await session.flush()
    outbox.record(
        session,
        ev.ViolationNoticed(
            **ref(violation),
            deadline=deadline,
            description=violation.description,
            notice_count=violation.notice_count,
        ),
        aggregate_id=violation.id,
        estate_id=violation.estate_id,
    )


def require_visible(principal: Principal, violation: Violation) -> None:
    principal.require_estate(violation.estate_id)
    if principal.is_resident_only and (violation.unit_id is None or violation.unit_id not in principal.units):
        raise Forbidden(Text("只能查看本人房屋的违章记录", "You can only see your own units' violations"))


async def act(
    session: AsyncSession, violation: Violation, action: ViolationAction, *, principal: Principal
) -> Violation:
    name, actor, now = action.action, actor_of(principal), utcnow()
    if violation.state not in ALLOWED[name]:
        raise IllegalTransition(
            Text(
                f"状态为 {violation.state} 的违章不能执行 {name}",
                f"a {violation.state} violation cannot be {name}",
            ),
            state=violation.state,
            action=name,
        )
    if name == "notice":
        if action.deadline is None or action.deadline <= now:
            raise InvalidInput(Text("整改期限须晚于当前时间", "A notice needs a deadline in the future"))
        await _notice(session, violation, action.deadline, actor, action.note)
    elif name == "reinspect":
        log(
            session,
            "violation",
            violation.id,
            "reinspected",
            actor,
            action.note,
            rectified=action.rectified,
            photos=action.photos,
        )
        if action.rectified:
            violation.state, violation.rectified_at = "rectified", now
            timers.cancel(session, _key(violation))
            await session.flush()
            outbox.record(
                session,
                ev.ViolationRectified(**ref(violation), rectified_at=now),
                aggregate_id=violation.id,
                estate_id=violation.estate_id,
            )
        elif action.deadline is not None:
            if action.deadline <= now:
                raise InvalidInput(Text("整改期限须晚于当前时间", "A new deadline must be in the future"))
            await _notice(session, violation, action.deadline, actor, "re-inspection: not rectified")
    elif name == "fine":
        fine = ViolationFine(
            violation_id=violation.id, amount_fen=action.amount_fen, reason=action.note, fined_by=actor
        )
        session.add(fine)
        violation.fines_fen += action.amount_fen
        await session.flush()
        log(session, "violation", violation.id, "fined", actor, action.note, amount_fen=action.amount_fen)
        outbox.record(
            session,
            ev.ViolationFined(
                **ref(violation), fine_id=fine.id, amount_fen=fine.amount_fen, reason=fine.reason
            ),
            aggregate_id=violation.id,
            estate_id=violation.estate_id,
        )
    elif name == "cancel":
        violation.state = "cancelled"
        timers.cancel(session, _key(violation))
        log(session, "violation", violation.id, "cancelled", actor, action.note)
    await session.flush()
    return violation


async def on_deadline(session: AsyncSession, violation_id: uuid.UUID) -> None:
    """The rectification deadline passed: escalate one level, and come back later until the top."""
    violation = await timers.lock_or_defer(session, Violation, violation_id)
    if violation is None or violation.state != "noticed" or violation.deadline is None:
        return
    now = utcnow()
    if now < violation.deadline:  # a later notice moved the deadline; its timer is the live one
        return
    if violation.escalation_level < TOP_LEVEL:
        violation.escalation_level += 1
        log(session, "violation", violation.id, "escalated", "system", None, level=violation.escalation_level)
        await session.flush()
        outbox.record(
            session,
            ev.ViolationEscalated(
                **ref(violation), level=violation.escalation_level, deadline=violation.deadline
            ),
            aggregate_id=violation.id,
            estate_id=violation.estate_id,
        )
    if violation.escalation_level < TOP_LEVEL:
        days = (await policy.load(session, violation.estate_id)).violation_escalate_after_days
        timers.schedule(
            session,
            kind="violation.deadline",
            key=_key(violation),
            due_at=now + dt.timedelta(days=days),
            payload={"violation_id": str(violation.id)},
        )


async def get(
    session: AsyncSession, violation_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Violation:
    v = await session.get(Violation, violation_id, with_for_update=lock)
    if v is None:
        raise ViolationNotFound(f"violation {violation_id} not found")
    require_visible(principal, v)
    return v


async def check_renovation(
    session: AsyncSession, estate_id: uuid.UUID, renovation_id: uuid.UUID | None, unit_id: uuid.UUID | None
) -> None:
    """A violation found during a renovation names it: it must be that unit's."""
    if renovation_id is not None:
        r = await session.get(Renovation, renovation_id)
        if r is None or r.estate_id != estate_id or r.unit_id != unit_id:
            raise RenovationNotFound(f"renovation {renovation_id} is not this unit's")


async def listing(
    session: AsyncSession,
    estate_id: uuid.UUID,
    principal: Principal,
    *,
    filters: dict,
    escalated: bool | None,
    params: PageParams,
) -> tuple[list[Violation], str | None]:
    """Newest first; a resident sees only their own units'."""
    stmt = select(Violation).where(
        Violation.estate_id == estate_id, unit_filter(principal, Violation.unit_id)
    )
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Violation, column) == value)
    if escalated is not None:
        stmt = stmt.where(
            (Violation.escalation_level > 0) if escalated else (Violation.escalation_level == 0)
        )
    return await fetch_page(session, stmt, params, key=Violation.created_at, tiebreak=Violation.id)


async def read(session: AsyncSession, v: Violation, *, with_timeline: bool = True) -> ViolationRead:
    view = ViolationRead.model_validate(v)
    if with_timeline:
        view.timeline = [ActivityRead.model_validate(a) for a in await activity.timeline(session, v.id)]
    return view
