"""Visitors (来访登记): a resident pre-registers for their own unit (a window and a six-digit code); the
desk registers walk-ins (ID checked, stored masked) who wait for the host to confirm; check-in and
check-out; an overstay is flagged by a durable timer at the window's end; blocked visitors are refused."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal, unit_filter
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import Forbidden, IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.common.search import prefix_match
from propdesk.common.timeutil import utcnow, zone
from propdesk.intake.errors import OutsideWindow, VisitNotFound, VisitorBlocked, WrongEstate
from propdesk.intake.models import BlockedVisitor, Unit, Visit
from propdesk.intake.schemas import BlockedVisitorCreate, VisitCreate
from propdesk.intake.validation import hash_id_number, mask_id_number

EARLY = dt.timedelta(minutes=30)  # a pre-registered visitor may arrive this early


TRANSITIONS = {
    "confirm": ({"awaiting_host"}, "confirmed"),
    "refuse": ({"awaiting_host"}, "refused"),
    "check_in": ({"expected", "confirmed"}, "checked_in"),
    "check_out": ({"checked_in"}, "checked_out"),
    "cancel": ({"expected", "awaiting_host", "confirmed"}, "cancelled"),
}


def actor(principal: Principal) -> str:
    return principal.name or principal.sub


def ref(v: Visit) -> dict:
    return {
        "visit_id": v.id,
        "estate_id": v.estate_id,
        "unit_id": v.unit_id,
        "kind": v.kind,
        "visitor_name": v.visitor_name,
    }


async def _blocked(
    session: AsyncSession, estate_id: uuid.UUID, *, name: str | None, phone: str | None, id_hash: str | None
) -> BlockedVisitor | None:
    matches = [BlockedVisitor.phone == phone] if phone else []
    matches += [BlockedVisitor.id_number_hash == id_hash] if id_hash else []
    matches += (
        [
            (BlockedVisitor.name == name)
            & BlockedVisitor.phone.is_(None)
            & BlockedVisitor.id_number_hash.is_(None)
        ]
        if name
        else []
    )
    if not matches:
        return None
    return (
        await session.execute(
            select(BlockedVisitor)
            .where(BlockedVisitor.estate_id == estate_id, BlockedVisitor.active.is_(True), or_(*matches))
            .limit(1)
        )
    ).scalar_one_or_none()


async def _refuse_if_blocked(session: AsyncSession, visit: Visit) -> None:
    hit = await _blocked(
        session,
        visit.estate_id,
        name=visit.visitor_name,
        phone=visit.visitor_phone,
        id_hash=visit.id_number_hash,
    )
    if hit is not None:
        raise VisitorBlocked(hit.reason)


async def register(
    session: AsyncSession,
    estate_id: uuid.UUID,
    data: VisitCreate,
    *,
    principal: Principal,
    id_key: str,
    walk_in_hours: int,
) -> Visit:
    unit = await session.get(Unit, data.unit_id)
    if unit is None or unit.estate_id != estate_id:
        raise WrongEstate(f"unit {data.unit_id} is not a unit of this estate")
    if principal.is_resident_only:
        principal.require_unit(unit.id)
        if data.kind != "pre_registered":
            raise Forbidden(Text("住户只能预约来访", "Residents pre-register visits"))
    now = utcnow()
    if data.kind == "pre_registered":
        if data.window_to <= now:
            raise OutsideWindow("the visit window has already ended")
        window_from, window_to, state = data.window_from, data.window_to, "expected"
    else:
        window_from, window_to = (
            data.window_from or now,
            data.window_to or now + dt.timedelta(hours=walk_in_hours),
        )
        state = "awaiting_host"
    visit = Visit(
        estate_id=estate_id,
        unit_id=unit.id,
        kind=data.kind,
        state=state,
        visitor_name=data.visitor_name,
        visitor_phone=data.visitor_phone,
        purpose=data.purpose,
        window_from=window_from,
        window_to=window_to,
        registered_by=actor(principal),
        overstay=False,
        code=f"{secrets.randbelow(10**6):06d}" if data.kind == "pre_registered" else None,
    )
    if data.id_number:
        visit.id_number_masked = mask_id_number(data.id_number)
        visit.id_number_hash = hash_id_number(data.id_number, id_key)
    await _refuse_if_blocked(session, visit)
    session.add(visit)
    await session.flush()
    outbox.record(
        session,
        ev.VisitRegistered(
            **ref(visit),
            state=visit.state,
            window_from=window_from,
            window_to=window_to,
            purpose=visit.purpose,
        ),
        aggregate_id=visit.id,
        estate_id=estate_id,
    )
    return visit


async def get(
    session: AsyncSession, visit_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Visit:
    visit = await session.get(Visit, visit_id, with_for_update=lock)
    if visit is None:
        raise VisitNotFound(f"visit {visit_id} not found")
    principal.require_estate(visit.estate_id)
    principal.require_unit(visit.unit_id)
    return visit


async def by_code(session: AsyncSession, estate_id: uuid.UUID, code: str) -> Visit:
    visit = (
        await session.execute(
            select(Visit)
            .where(
                Visit.estate_id == estate_id, Visit.code == code, Visit.state.in_(["expected", "confirmed"])
            )
            .with_for_update()
        )
    ).scalar_one_or_none()
    if visit is None:
        raise VisitNotFound(Text("来访码无效或已使用", "No pending visit with this code"))
    return visit


async def transition(session: AsyncSession, visit: Visit, action: str, *, principal: Principal) -> Visit:
    allowed, target = TRANSITIONS[action]
    if principal.is_resident_only and action not in ("confirm", "refuse", "cancel"):
        raise Forbidden(Text("住户只能确认、拒绝或取消来访", "Residents confirm, refuse or cancel visits"))
    if visit.state not in allowed:
        raise IllegalTransition(
            Text(
                f"状态为 {visit.state} 的来访不能执行 {action}",
                f"a visit in state {visit.state} cannot {action}",
            ),
            state=visit.state,
        )
    now = utcnow()
    if action == "confirm":
        visit.host_confirmed_at = now
    elif action == "check_in":
        if visit.kind == "pre_registered" and not (visit.window_from - EARLY <= now <= visit.window_to):
            raise OutsideWindow(
                f"registered for {visit.window_from.isoformat()} to {visit.window_to.isoformat()}"
            )
        await _refuse_if_blocked(session, visit)
        visit.checked_in_at = now
        timers.schedule(
            session,
            kind="visit.overstay",
            key=f"visit:{visit.id}",
            due_at=visit.window_to,
            payload={"visit_id": str(visit.id)},
        )
    elif action == "check_out":
        visit.checked_out_at = now
        timers.cancel(session, f"visit:{visit.id}")
    visit.state = target
    await session.flush()
    if action == "check_in":
        outbox.record(
            session,
            ev.VisitCheckedIn(**ref(visit), checked_in_at=now),
            aggregate_id=visit.id,
            estate_id=visit.estate_id,
        )
    elif action == "check_out":
        outbox.record(
            session,
            ev.VisitCheckedOut(**ref(visit), checked_out_at=now),
            aggregate_id=visit.id,
            estate_id=visit.estate_id,
        )
    return visit


async def overstay_due(session: AsyncSession, visit_id: uuid.UUID) -> None:
    visit = await session.get(Visit, visit_id, with_for_update=True)
    if visit is None or visit.state != "checked_in" or visit.overstay:
        return
    visit.overstay = True
    await session.flush()
    outbox.record(
        session,
        ev.VisitOverstayed(**ref(visit), window_to=visit.window_to),
        aggregate_id=visit.id,
        estate_id=visit.estate_id,
    )


async def block(
    session: AsyncSession,
    estate_id: uuid.UUID,
    data: BlockedVisitorCreate,
    *,
    principal: Principal,
    id_key: str,
) -> BlockedVisitor:
    entry = BlockedVisitor(
        estate_id=estate_id,
        name=data.name,
        phone=data.phone,
        reason=data.reason,
        created_by=actor(principal),
        active=True,
    )
    if data.id_number:
        entry.id_number_masked = mask_id_number(data.id_number)
        entry.id_number_hash = hash_id_number(data.id_number, id_key)
    session.add(entry)
    await session.flush()
    return entry


async def log_of(
    session: AsyncSession,
    estate_id: uuid.UUID,
    principal: Principal,
    *,
    unit_id: uuid.UUID | None,
    on: dt.date | None,
    name: str | None,
    state: str | None,
    overstay: bool | None,
    params: PageParams,
) -> tuple[list[Visit], str | None]:
    """The visitor log by unit, date and name; a resident sees their own units' visits."""
    stmt = select(Visit).where(Visit.estate_id == estate_id, unit_filter(principal, Visit.unit_id))
    if unit_id:
        stmt = stmt.where(Visit.unit_id == unit_id)
    if on:
        start = dt.datetime.combine(on, dt.time(0), tzinfo=zone())
        stmt = stmt.where(Visit.window_from < start + dt.timedelta(days=1), Visit.window_to >= start)
    if name:
        stmt = stmt.where(prefix_match(Visit.visitor_name, name))
    if state:
        stmt = stmt.where(Visit.state == state)
    if overstay is not None:
        stmt = stmt.where(Visit.overstay.is_(overstay))
    return await fetch_page(session, stmt, params, key=Visit.window_from, tiebreak=Visit.id)


async def blocked(
    session: AsyncSession, estate_id: uuid.UUID, params: PageParams
) -> tuple[list[BlockedVisitor], str | None]:
    stmt = select(BlockedVisitor).where(
        BlockedVisitor.estate_id == estate_id, BlockedVisitor.active.is_(True)
    )
    return await fetch_page(session, stmt, params, key=BlockedVisitor.created_at, tiebreak=BlockedVisitor.id)


async def unblock(session: AsyncSession, entry_id: uuid.UUID, principal: Principal) -> None:
    entry = await session.get(BlockedVisitor, entry_id)
    if entry is None:
        raise VisitNotFound(f"blocked entry {entry_id} not found")
    principal.require_estate(entry.estate_id)
    entry.active = False
