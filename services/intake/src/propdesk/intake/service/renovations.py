"""Renovation (装修): application → review (approved with conditions and a deposit, or rejected) → works
(permitted hours, scheduled inspections, violations) → acceptance (竣工验收) → deposit release.

States: submitted → approved | rejected; approved → in_progress (once billing holds the deposit) →
acceptance_requested → accepted (or back to in_progress when acceptance fails); submitted/approved →
cancelled. The deposit is billing's: intake asks it to hold (`deposit_requested`) and to release with
itemised deductions (`deposit_release_requested`); `billing.deposit.held` marks it held."""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.auth import Principal, unit_filter
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import Conflict, Forbidden, IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.common.timeutil import to_local, utcnow
from propdesk.intake.errors import RenovationNotFound, WrongEstate
from propdesk.intake.models import Occupancy, Renovation, RenovationInspection, Unit, Violation
from propdesk.intake.schemas import (
    RenovationAcceptance,
    RenovationAction,
    RenovationCreate,
    RenovationReview,
)
from propdesk.intake.service import followups, policy, violations
from propdesk.intake.service.activity import actor_of, log
from propdesk.intake.service.registry import set_unit_state

ACTIVE = frozenset({"submitted", "approved", "in_progress", "acceptance_requested"})
WORKS = frozenset({"approved", "in_progress", "acceptance_requested"})
TRANSITIONS = {  # action: (from, to)
    "start": (frozenset({"approved"}), "in_progress"),
    "request_acceptance": (frozenset({"in_progress"}), "acceptance_requested"),
    "cancel": (frozenset({"submitted", "approved"}), "cancelled"),
}


def ref(r: Renovation) -> dict:
    return {
        "renovation_id": r.id,
        "estate_id": r.estate_id,
        "unit_id": r.unit_id,
        "reference": r.reference,
        "resident_id": r.resident_id,
    }


def _illegal(r: Renovation, action: str) -> IllegalTransition:
    return IllegalTransition(
        Text(f"状态为 {r.state} 的装修申请不能执行 {action}", f"a {r.state} renovation cannot be {action}"),
        state=r.state,
        action=action,
    )


def require_visible(principal: Principal, r: Renovation) -> None:
    principal.require_estate(r.estate_id)
    if principal.is_resident_only and r.unit_id not in principal.units:
        raise Forbidden(Text("只能查看本人房屋的装修申请", "You can only see your own units' renovations"))


async def _record(session: AsyncSession, r: Renovation, event) -> None:
    await session.flush()
    outbox.record(session, event, aggregate_id=r.id, estate_id=r.estate_id)


async def apply(
    session: AsyncSession, estate_id: uuid.UUID, data: RenovationCreate, *, principal: Principal
) -> Renovation:
    principal.require_unit(data.unit_id)
    unit = await session.get(Unit, data.unit_id)
    if unit is None or unit.estate_id != estate_id:
        raise WrongEstate(f"unit {data.unit_id} is not a unit of this estate")
    busy = await session.execute(
        select(Renovation.reference).where(Renovation.unit_id == unit.id, Renovation.state.in_(ACTIVE))
    )
    if (other := busy.scalar()) is not None:
        raise Conflict(
            Text(f"该房屋已有进行中的装修申请 {other}", f"the unit already has an open renovation {other}"),
            reference=other,
        )
    resident_id = None
    if principal.is_resident_only:
        resident_id = principal.subject_id
    resident_id = resident_id or await followups.household_contact(session, unit.id)
    now = utcnow()
    number = (await session.execute(text("SELECT nextval('intake.renovation_number')"))).scalar_one()
    r = Renovation(
        estate_id=estate_id,
        unit_id=unit.id,
        resident_id=resident_id,
        reference=human_ref("REN", f"{to_local(now):%Y%m}", number),
        state="submitted",
        contractor_name=data.contractor_name,
        contractor_phone=data.contractor_phone,
        contractor_licence=data.contractor_licence,
        scope=data.scope,
        items=list(data.items),
        workers=[w.model_dump(mode="json") for w in data.workers],
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        conditions=[],
        deposit_fen=0,
        deposit_state="none",
        deductions=[],
    )
    session.add(r)
    await session.flush()
    log(session, "renovation", r.id, "applied", actor_of(principal), data.scope)
    await _record(
        session,
        r,
        ev.RenovationApplied(
            **ref(r), contractor=r.contractor_name, planned_start=r.planned_start, planned_end=r.planned_end
        ),
    )
    return r


async def review(
    session: AsyncSession, r: Renovation, data: RenovationReview, *, principal: Principal
) -> Renovation:
    if r.state != "submitted":
        raise _illegal(r, "reviewed")
    actor, now = actor_of(principal), utcnow()
    r.state, r.reviewed_by, r.reviewed_at, r.review_note = data.decision, actor, now, data.note
    if data.decision == "approved":
        r.conditions = list(data.conditions)
        r.deposit_fen = (
            data.deposit_fen
            if data.deposit_fen is not None
            else (await policy.load(session, r.estate_id)).renovation_deposit_fen
        )
    log(session, "renovation", r.id, data.decision, actor, data.note, deposit_fen=r.deposit_fen)
    await _record(
        session,
        r,
        ev.RenovationReviewed(
            **ref(r),
            decision=data.decision,
            conditions=r.conditions,
            deposit_fen=r.deposit_fen,
            note=data.note,
        ),
    )
    if data.decision == "approved" and r.deposit_fen > 0:
        r.deposit_state = "requested"
        await _record(session, r, ev.RenovationDepositRequested(**ref(r), amount_fen=r.deposit_fen))
    return r


async def act(
    session: AsyncSession, r: Renovation, action: RenovationAction, *, principal: Principal
) -> Renovation:
    name = action.action
    allowed, target = TRANSITIONS[name]
    if r.state not in allowed:
        raise _illegal(r, name)
    if principal.is_resident_only and name == "start":
        raise Forbidden(Text("开工须由物业确认", "The estate office confirms the start of works"))
    if name == "start" and r.deposit_state == "requested":
        raise IllegalTransition(
            Text("装修押金尚未缴纳，不能开工", "Works cannot start before billing holds the deposit"),
            state=r.state,
            action=name,
            deposit_state=r.deposit_state,
        )
    r.state = target
    unit = await session.get(Unit, r.unit_id)
    if name == "start":
        r.started_at = utcnow()
        await set_unit_state(session, unit, "renovating")
    elif name == "cancel" and r.deposit_state in ("requested", "held"):
        await _release(session, r, [])
    log(session, "renovation", r.id, name, actor_of(principal), action.note, state=r.state)
    await session.flush()
    return r


async def deposit_held(
    session: AsyncSession, renovation_id: uuid.UUID, amount_fen: int, deposit_id: uuid.UUID
) -> None:
    """billing reports the deposit held (consumer of `billing.deposit.held`)."""
    r = await session.get(Renovation, renovation_id, with_for_update=True)
    if r is None or r.deposit_state != "requested":
        return
    r.deposit_state = "held"
    log(
        session,
        "renovation",
        r.id,
        "deposit_held",
        "billing",
        None,
        amount_fen=amount_fen,
        deposit_id=deposit_id,
    )
    await session.flush()


async def deposit_released(
    session: AsyncSession,
    renovation_id: uuid.UUID,
    refund_fen: int,
    deductions_fen: int,
    deposit_id: uuid.UUID,
) -> None:
    """billing reports the deposit paid back, less the deductions (consumer of `billing.deposit.released`):
    the renovation's record shows what the resident got back, and when."""
    r = await session.get(Renovation, renovation_id, with_for_update=True)
    if r is None or r.deposit_state == "released":
        return
    r.deposit_state, r.refund_fen = "released", refund_fen
    log(
        session,
        "renovation",
        r.id,
        "deposit_released",
        "billing",
        None,
        refund_fen=refund_fen,
        deductions_fen=deductions_fen,
        deposit_id=deposit_id,
    )
    await session.flush()


async def accept(
    session: AsyncSession, r: Renovation, data: RenovationAcceptance, *, principal: Principal
) -> Renovation:
    """The completion inspection. Failing sends the works back; passing settles the deposit."""
    if r.state != "acceptance_requested":
        raise _illegal(r, "accepted")
    actor, now = actor_of(principal), utcnow()
    session.add(
        RenovationInspection(
            renovation_id=r.id,
            kind="acceptance",
            scheduled_for=now,
            state="done",
            result="passed" if data.passed else "issues",
            findings=data.findings,
            photos=list(data.photos),
            done_at=now,
            done_by=actor,
            violation_ids=[],
        )
    )
    if not data.passed:
        r.state = "in_progress"
        log(session, "renovation", r.id, "acceptance_failed", actor, data.findings)
        await session.flush()
        return r
    open_violations = (
        (
            await session.execute(
                select(Violation.reference).where(
                    Violation.renovation_id == r.id, Violation.state.in_(violations.LIVE)
                )
            )
        )
        .scalars()
        .all()
    )
    if open_violations:
        raise IllegalTransition(
            Text(
                f"尚有未整改的违章：{', '.join(open_violations)}",
                f"violations not yet rectified: {', '.join(open_violations)}",
            ),
            state=r.state,
            action="accept",
            violations=list(open_violations),
        )
    total = sum(d.amount_fen for d in data.deductions)
    if total > r.deposit_fen:
        raise InvalidInput(
            Text(
                f"扣款合计 {total} 分超过押金 {r.deposit_fen} 分",
                f"deductions ({total} fen) exceed the deposit ({r.deposit_fen} fen)",
            )
        )
    for d in data.deductions:
        if d.violation_id is not None:
            v = await session.get(Violation, d.violation_id)
            if v is None or v.renovation_id != r.id:
                raise InvalidInput(
                    Text(
                        "扣款引用的违章不属于该装修",
                        "a deduction refers to a violation of another renovation",
                    )
                )
    r.state, r.accepted_on = "accepted", to_local(now).date()
    r.deductions = [d.model_dump(mode="json") for d in data.deductions]
    log(session, "renovation", r.id, "accepted", actor, data.findings, deductions_fen=total)
    unit = await session.get(Unit, r.unit_id)
    lived_in = await session.execute(
        select(
            exists().where(
                Occupancy.unit_id == unit.id,
                Occupancy.ended_on.is_(None),
                Occupancy.role.in_(["owner", "tenant"]),
            )
        )
    )
    await set_unit_state(session, unit, "occupied" if lived_in.scalar() else "vacant")
    await _record(
        session, r, ev.RenovationAccepted(**ref(r), accepted_on=r.accepted_on, deductions_fen=total)
    )
    if r.deposit_state in ("requested", "held"):
        await _release(session, r, r.deductions)
    await followups.create(
        session,
        estate_id=r.estate_id,
        source_kind="renovation",
        source_id=r.id,
        source_reference=r.reference,
        category="renovation",
        unit_id=r.unit_id,
        resident_id=r.resident_id,
        base_time=now,
        actor=actor,
    )
    return r


async def _release(session: AsyncSession, r: Renovation, deductions: list[dict]) -> None:
    total = sum(d["amount_fen"] for d in deductions)
    r.refund_fen, r.deposit_state = r.deposit_fen - total, "release_requested"
    await _record(
        session,
        r,
        ev.RenovationDepositReleaseRequested(
            **ref(r),
            deposit_fen=r.deposit_fen,
            deductions=[ev.Deduction(**d) for d in deductions],
            refund_fen=r.refund_fen,
        ),
    )


async def get(
    session: AsyncSession, renovation_id: uuid.UUID, principal: Principal, *, lock: bool = True
) -> Renovation:
    r = await session.get(Renovation, renovation_id, with_for_update=lock)
    if r is None:
        raise RenovationNotFound(f"renovation {renovation_id} not found")
    require_visible(principal, r)
    return r


async def listing(
    session: AsyncSession, estate_id: uuid.UUID, principal: Principal, *, filters: dict, params: PageParams
) -> tuple[list[Renovation], str | None]:
    """Newest first; a resident sees only their own units'."""
    stmt = select(Renovation).where(
        Renovation.estate_id == estate_id, unit_filter(principal, Renovation.unit_id)
    )
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Renovation, column) == value)
    return await fetch_page(session, stmt, params, key=Renovation.created_at, tiebreak=Renovation.id)
