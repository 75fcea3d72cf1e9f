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
from propdesk.common.auth import Principal, unit_filter
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import Forbidden, IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.intake.errors import FollowUpNotFound, WrongEstate
from propdesk.intake.models import FollowUp, Occupancy, Resident, Staff, Unit
from propdesk.intake.repository import require_of_estate
from propdesk.intake.schemas import ActivityRead, FollowUpRead
from propdesk.intake.service import activity, policy
from propdesk.intake.service.activity import actor_of, log

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
    await require_of_estate(session, Resident, resident_id, estate_id, "resident")
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


async def cancel(
    session: AsyncSession, follow_up: FollowUp, *, note: str | None, principal: Principal
) -> FollowUp:
    _require_open(follow_up, "cancelled")
    follow_up.state = "cancelled"
    timers.cancel(session, f"follow_up:{follow_up.id}:due")
    log(session, "follow_up", follow_up.id, "cancelled", actor_of(principal), note)
    await session.flush()
    return follow_up


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


async def get(
    session: AsyncSession, follow_up_id: uuid.UUID, principal: Principal, *, lock: bool = True
) -> FollowUp:
    f = await session.get(FollowUp, follow_up_id, with_for_update=lock)
    if f is None:
        raise FollowUpNotFound(f"follow-up {follow_up_id} not found")
    require_visible(principal, f)
    return f


async def listing(
    session: AsyncSession, estate_id: uuid.UUID, principal: Principal, *, filters: dict, params: PageParams
) -> tuple[list[FollowUp], str | None]:
    """By due time; a resident sees only their own units'."""
    stmt = select(FollowUp).where(FollowUp.estate_id == estate_id, unit_filter(principal, FollowUp.unit_id))
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(FollowUp, column) == value)
    return await fetch_page(session, stmt, params, key=FollowUp.due_at, tiebreak=FollowUp.id)


async def read(session: AsyncSession, f: FollowUp, *, with_timeline: bool = True) -> FollowUpRead:
    view = FollowUpRead.model_validate(f)
    if with_timeline:
        view.timeline = [ActivityRead.model_validate(a) for a in await activity.timeline(session, f.id)]
    return view
