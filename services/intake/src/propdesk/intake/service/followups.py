"""Follow-ups (回访): scheduled after a completed repair (repairs' event), a resolved complaint or an
accepted renovation, sampled per estate; staff attempts up to a limit; the resident may answer through the
API. A score at or below the estate's threshold (2) opens a complaint linked to the original work and emits
`intake.follow_up.dissatisfied`, which repairs uses to reopen the work order."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import Forbidden, IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow
from propdesk.intake.errors import WrongEstate
from propdesk.intake.models import Case, Occupancy, Resident, Staff, Unit
from propdesk.intake.models_life import FollowUp
from propdesk.intake.schemas_cases import CaseCreate
from propdesk.intake.service import cases, policy
from propdesk.intake.service.activity import SYSTEM, actor_of, log

OPEN_STATES = frozenset({"pending"})
COMPLAINT_CATEGORY = {
    "work_order": "repair_quality",
    "renovation": "facilities",
    "manual": "service_attitude",
}


def ref(f: FollowUp) -> dict:
    return {
        "follow_up_id": f.id,
        "estate_id": f.estate_id,
        "source_kind": f.source_kind,
        "source_id": f.source_id,
        "source_reference": f.source_reference,
        "unit_id": f.unit_id,
        "resident_id": f.resident_id,
        "assignee_id": f.assignee_id,
    }


async def household_contact(session: AsyncSession, unit_id: uuid.UUID | None) -> uuid.UUID | None:
    """Who to call about a unit: the tenant living there if any, else the owner."""
    if unit_id is None:
        return None
    rows = await session.execute(
        select(Occupancy.resident_id, Occupancy.role)
        .where(
            Occupancy.unit_id == unit_id, Occupancy.ended_on.is_(None), Occupancy.role != "household_member"
        )
        .order_by(Occupancy.role.desc(), Occupancy.started_on)  # 'tenant' sorts after 'owner': desc first
    )
    first = rows.first()
    return first[0] if first else None


async def create(
    session: AsyncSession,
    *,
    estate_id: uuid.UUID,
    source_kind: str,
    source_id: uuid.UUID | None,
    source_reference: str | None,
    category: str | None,
    unit_id: uuid.UUID | None,
    resident_id: uuid.UUID | None,
    base_time: dt.datetime,
    actor: str,
    assignee_id: uuid.UUID | None = None,
    due_at: dt.datetime | None = None,
    note: str | None = None,
) -> FollowUp | None:
    """Schedule a follow-up; None when this source is not sampled or already has one."""
    rules = await policy.load(session, estate_id)
    if source_id is not None:
        if source_kind != "manual" and not policy.sampled(
            source_id, rules.sampling(source_kind).sample_percent
        ):
            return None
        existing = await session.execute(
            select(FollowUp.id).where(FollowUp.source_kind == source_kind, FollowUp.source_id == source_id)
        )
        if existing.first() is not None:
            return None
    if unit_id is not None:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise WrongEstate(f"unit {unit_id} is not a unit of this estate")
    if resident_id is not None:
        resident = await session.get(Resident, resident_id)
        if resident is None or resident.estate_id != estate_id:
            resident_id = None
    resident_id = resident_id or await household_contact(session, unit_id)
    follow_up = FollowUp(
        estate_id=estate_id,
        source_kind=source_kind,
        source_id=source_id,
        source_reference=source_reference,
        category=category,
        unit_id=unit_id,
        resident_id=resident_id,
        assignee_id=assignee_id,
        note=note,
        state="pending",
        due_at=due_at or base_time + dt.timedelta(days=rules.sampling(source_kind).due_days),
        attempts=0,
        max_attempts=rules.follow_up_max_attempts,
        overdue=False,
    )
    session.add(follow_up)
    await session.flush()
    timers.schedule(
        session,
        kind="follow_up.due",
        key=f"follow_up:{follow_up.id}:due",
        due_at=follow_up.due_at,
        payload={"follow_up_id": str(follow_up.id)},
    )
    log(session, "follow_up", follow_up.id, "created", actor, note, source=source_kind)
    outbox.record(
        session,
        ev.FollowUpCreated(**ref(follow_up), due_at=follow_up.due_at),
        aggregate_id=follow_up.id,
        estate_id=estate_id,
    )
    return follow_up


def require_visible(principal: Principal, follow_up: FollowUp) -> None:
    principal.require_estate(follow_up.estate_id)
    if principal.is_resident_only and (follow_up.unit_id is None or follow_up.unit_id not in principal.units):
        raise Forbidden(Text("只能查看本人房屋的回访", "You can only see your own units' follow-ups"))


def _require_open(follow_up: FollowUp, action: str, also: frozenset[str] = frozenset()) -> None:
    if follow_up.state not in OPEN_STATES | also:
        raise IllegalTransition(
            Text(
                f"状态为 {follow_up.state} 的回访不能{action}",
                f"a {follow_up.state} follow-up cannot be {action}",
            ),
            state=follow_up.state,
            action=action,
        )


async def assign(
    session: AsyncSession,
    follow_up: FollowUp,
    *,
    staff_id: uuid.UUID,
    scheduled_at: dt.datetime | None,
    principal: Principal,
) -> FollowUp:
    _require_open(follow_up, "assigned")
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.estate_id != follow_up.estate_id:
        raise WrongEstate("the staff member works at another estate")
    follow_up.assignee_id, follow_up.scheduled_at = staff.id, scheduled_at
    log(session, "follow_up", follow_up.id, "assigned", actor_of(principal), staff=staff.name)
    await session.flush()
    return follow_up


async def attempt(
    session: AsyncSession,
    follow_up: FollowUp,
    *,
    outcome: str,
    score: int | None,
    comment: str | None,
    note: str | None,
    principal: Principal,
) -> FollowUp:
    """Staff called: 'reached' with the resident's score, or 'unreachable' (the last allowed try gives up)."""
    _require_open(follow_up, "attempted")
    follow_up.attempts += 1
    actor = actor_of(principal)
    log(
        session,
        "follow_up",
        follow_up.id,
        "attempt",
        actor,
        note,
        outcome=outcome,
        attempt=follow_up.attempts,
    )
    if outcome == "reached":
        if score is None:
            raise InvalidInput(Text("接通后须记录满意度评分", "A reached follow-up needs the score"))
        return await _complete(session, follow_up, score, comment, answered_by="staff", actor=actor)
    if follow_up.attempts >= follow_up.max_attempts:
        follow_up.state = "unreachable"
        timers.cancel(session, f"follow_up:{follow_up.id}:due")
        log(session, "follow_up", follow_up.id, "unreachable", actor, attempts=follow_up.attempts)
    await session.flush()
    return follow_up


async def answer(
    session: AsyncSession, follow_up: FollowUp, *, score: int, comment: str | None, principal: Principal
) -> FollowUp:
    """The resident answers their own follow-up (also after the desk gave up reaching them)."""
    _require_open(follow_up, "answered", also=frozenset({"unreachable"}))
    return await _complete(
        session, follow_up, score, comment, answered_by="resident", actor=actor_of(principal)
    )


async def cancel(
    session: AsyncSession, follow_up: FollowUp, *, note: str | None, principal: Principal
) -> FollowUp:
    _require_open(follow_up, "cancelled")
    follow_up.state = "cancelled"
    timers.cancel(session, f"follow_up:{follow_up.id}:due")
    log(session, "follow_up", follow_up.id, "cancelled", actor_of(principal), note)
    await session.flush()
    return follow_up


async def _complete(
    session: AsyncSession,
    follow_up: FollowUp,
    score: int,
    comment: str | None,
    *,
    answered_by: str,
    actor: str,
) -> FollowUp:
    now = utcnow()
    follow_up.state, follow_up.score, follow_up.comment = "completed", score, comment
    follow_up.answered_by, follow_up.answered_at = answered_by, now
    timers.cancel(session, f"follow_up:{follow_up.id}:due")
    log(session, "follow_up", follow_up.id, "completed", actor, comment, score=score, answered_by=answered_by)
    await session.flush()
    outbox.record(
        session,
        ev.FollowUpCompleted(**ref(follow_up), score=score, comment=comment, answered_by=answered_by),
        aggregate_id=follow_up.id,
        estate_id=follow_up.estate_id,
    )
    rules = await policy.load(session, follow_up.estate_id)
    if score <= rules.dissatisfied_at_or_below:
        await _dissatisfied(session, follow_up, actor)
    return follow_up


async def _dissatisfied(session: AsyncSession, follow_up: FollowUp, actor: str) -> None:
    """A bad score: a complaint linked to the original work, and the event repairs reopens the order from."""
    category = COMPLAINT_CATEGORY.get(follow_up.source_kind)
    if follow_up.source_kind == "complaint" and follow_up.source_id is not None:
        original = await session.get(Case, follow_up.source_id)
        category = original.category if original is not None else "other"
    subject = f"回访不满意 / Dissatisfied follow-up: {follow_up.source_reference or follow_up.source_kind}"
    complaint = await cases.open_case(
        session,
        follow_up.estate_id,
        CaseCreate(
            kind="complaint",
            channel="phone" if follow_up.answered_by == "staff" else "app",
            category=category or "other",
            unit_id=follow_up.unit_id,
            resident_id=follow_up.resident_id,
            subject=subject[:200],
            description=f"评分 score {follow_up.score}/5. {follow_up.comment or ''}".strip(),
        ),
        principal=SYSTEM,
    )
    if follow_up.source_kind == "work_order":
        complaint.work_order_id = follow_up.source_id
    elif follow_up.source_kind == "complaint":
        complaint.repeat_of = follow_up.source_id
    follow_up.complaint_case_id = complaint.id
    log(session, "follow_up", follow_up.id, "complaint_opened", actor, None, case=complaint.reference)
    await session.flush()
    outbox.record(
        session,
        ev.FollowUpDissatisfied(
            **ref(follow_up),
            score=follow_up.score,
            comment=follow_up.comment,
            complaint_case_id=complaint.id,
            complaint_reference=complaint.reference,
            work_order_id=follow_up.source_id if follow_up.source_kind == "work_order" else None,
        ),
        aggregate_id=follow_up.id,
        estate_id=follow_up.estate_id,
    )


async def on_due(session: AsyncSession, follow_up_id: uuid.UUID) -> None:
    follow_up = await timers.lock_or_defer(session, FollowUp, follow_up_id)
    if follow_up is None or follow_up.state not in OPEN_STATES or follow_up.overdue:
        return
    follow_up.overdue = True
    log(session, "follow_up", follow_up.id, "overdue", "system", None)
    await session.flush()
    outbox.record(
        session,
        ev.FollowUpOverdue(**ref(follow_up), due_at=follow_up.due_at),
        aggregate_id=follow_up.id,
        estate_id=follow_up.estate_id,
    )
