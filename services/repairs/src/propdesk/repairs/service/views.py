"""Work orders as the API shows them: one order with its clocks, timeline, reporters and parts; lists and the
dispatch queue."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import uow
from propdesk.common.auth import Principal
from propdesk.common.pagination import PageParams, page_of, paginate
from propdesk.common.timeutil import utcnow
from propdesk.repairs.errors import WorkOrderNotFound
from propdesk.repairs.models import WorkOrder, WorkOrderEntry, WorkOrderPart, WorkOrderReporter
from propdesk.repairs.schemas import EntryRead, PartRead, ReporterRead, WorkOrderRead
from propdesk.repairs.service import access, clocks, states

EXTRA = ("linked", "clocks", "timeline", "reporters", "parts")


async def get(
    session: AsyncSession, work_order_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> WorkOrder:
    """The order, if the principal may see it (locked for a change when `lock`)."""
    wo = await session.get(WorkOrder, work_order_id, with_for_update=lock)
    if wo is None:
        raise WorkOrderNotFound(f"work order {work_order_id} not found")
    await access.require_visible(session, principal, wo)
    return wo


async def read(
    session: AsyncSession, wo: WorkOrder, *, full: bool = True, linked: bool = False, fresh: bool = False
) -> WorkOrderRead:
    """`fresh`: reported in this unit of work, so its timeline and reporters are the ones it staged (no need
    to write and read them back before the response)."""
    fields = {f: getattr(wo, f) for f in WorkOrderRead.model_fields if f not in EXTRA}
    view = WorkOrderRead.model_validate({**fields, "linked": linked, "clocks": clocks.view(wo, utcnow())})
    if not full:
        return view
    if fresh:
        entries = sorted(
            (e for e in uow.added(session, WorkOrderEntry) if e.work_order_id == wo.id), key=lambda e: e.id
        )
        reporters = [r for r in uow.added(session, WorkOrderReporter) if r.work_order_id == wo.id]
        parts: list = []
    else:
        await uow.flush(session)  # the entries this unit of work staged are part of the timeline
        entries = (
            await session.execute(
                select(WorkOrderEntry)
                .where(WorkOrderEntry.work_order_id == wo.id)
                .order_by(WorkOrderEntry.id)
            )
        ).scalars()
        reporters = (
            await session.execute(
                select(WorkOrderReporter)
                .where(WorkOrderReporter.work_order_id == wo.id)
                .order_by(WorkOrderReporter.reported_at)
            )
        ).scalars()
        parts = (
            await session.execute(select(WorkOrderPart).where(WorkOrderPart.work_order_id == wo.id))
        ).scalars()
    view.timeline = [EntryRead.model_validate(e) for e in entries]
    view.reporters = [ReporterRead.model_validate(r) for r in reporters]
    view.parts = [PartRead.model_validate(p) for p in parts]
    return view


async def listing(
    session: AsyncSession,
    estate_id: uuid.UUID,
    principal: Principal,
    *,
    filters: dict,
    params: PageParams,
) -> tuple[list[WorkOrderRead], str | None]:
    """Newest first, filtered; a resident sees their own units' orders and those they reported."""
    principal.require_estate(estate_id)
    stmt = select(WorkOrder).where(WorkOrder.estate_id == estate_id)
    if principal.is_resident_only:
        mine = select(WorkOrderReporter.work_order_id).where(
            WorkOrderReporter.resident_id == principal.subject_id
        )
        stmt = stmt.where(or_(WorkOrder.unit_id.in_(list(principal.units)), WorkOrder.id.in_(mine)))
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(WorkOrder, column) == value)
    rows = (
        await session.execute(paginate(stmt, params, key=WorkOrder.created_at, tiebreak=WorkOrder.id))
    ).scalars()
    items, cursor = page_of(list(rows), params, cursor_of=lambda w: [w.created_at.isoformat(), str(w.id)])
    return [await read(session, w, full=False) for w in items], cursor


async def dispatch_queue(
    session: AsyncSession, estate_id: uuid.UUID, *, unassigned: bool, limit: int
) -> list[WorkOrderRead]:
    """Open orders by SLA risk: breached ones lead, then the soonest next deadline, then the oldest."""
    wanted = states.DISPATCHABLE if unassigned else states.OPEN
    stmt = (
        select(WorkOrder)
        .where(WorkOrder.estate_id == estate_id, WorkOrder.state.in_(wanted))
        .order_by(WorkOrder.breached.desc(), WorkOrder.next_due_at.asc().nulls_last(), WorkOrder.created_at)
        .limit(limit)
    )
    return [await read(session, w, full=False) for w in (await session.execute(stmt)).scalars()]
