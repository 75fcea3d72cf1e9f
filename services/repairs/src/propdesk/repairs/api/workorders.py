from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import or_, select

from propdesk.common.auth import Principal
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text
from propdesk.common.pagination import Page, PageParams, page_of, page_params, paginate
from propdesk.common.timeutil import utcnow
from propdesk.common.web import Session, idempotent
from propdesk.repairs.api.deps import ANYONE, DISPATCH, STAFF
from propdesk.repairs.errors import WorkOrderNotFound
from propdesk.repairs.models import WorkOrder, WorkOrderEntry, WorkOrderPart, WorkOrderReporter
from propdesk.repairs.schemas import (
    EntryRead,
    PartRead,
    PartUse,
    ReporterRead,
    WorkOrderAction,
    WorkOrderCreate,
    WorkOrderRead,
)
from propdesk.repairs.service import clocks, workorders

router = APIRouter(tags=["work orders"])
EXTRA = ("linked", "clocks", "timeline", "reporters", "parts")


async def _read(
    session, wo: WorkOrder, *, full: bool = True, linked: bool = False, fresh: bool = False
) -> WorkOrderRead:
    """The order as the API shows it. `fresh`: created in this session, so its timeline and reporters are the
    session's own new rows (no need to read them back)."""
    fields = {f: getattr(wo, f) for f in WorkOrderRead.model_fields if f not in EXTRA}
    read = WorkOrderRead.model_validate({**fields, "linked": linked, "clocks": clocks.view(wo, utcnow())})
    if not full:
        return read
    if fresh:
        mine = [o for o in session.info.get("new_rows", []) if o.work_order_id == wo.id]
        entries = sorted((o for o in mine if isinstance(o, WorkOrderEntry)), key=lambda e: e.id)
        reporters = [o for o in mine if isinstance(o, WorkOrderReporter)]
        parts: list = []
    else:
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
    read.timeline = [EntryRead.model_validate(e) for e in entries]
    read.reporters = [ReporterRead.model_validate(r) for r in reporters]
    read.parts = [PartRead.model_validate(p) for p in parts]
    return read


async def _get(session, work_order_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> WorkOrder:
    wo = await session.get(WorkOrder, work_order_id, with_for_update=lock)
    if wo is None:
        raise WorkOrderNotFound(f"work order {work_order_id} not found")
    await workorders.require_visible(session, principal, wo)
    return wo


@router.post(
    "/v1/estates/{estate_id}/work-orders",
    status_code=201,
    response_model=WorkOrderRead,
    summary="Report a repair: a resident for their own unit or a common area of their estate, or staff. "
    "A second report of the same common-area problem links to the open order (200, linked=true)",
)
async def report(
    request: Request,
    estate_id: uuid.UUID,
    data: WorkOrderCreate,
    session: Session,
    principal: Principal = Depends(ANYONE),
):
    principal.require_estate(estate_id)
    resident = principal.is_resident_only
    if resident and data.unit_id is not None:
        principal.require_unit(data.unit_id)
    if resident and data.payable is not None:
        raise Forbidden(Text("住户不能设置是否收费", "Residents cannot set whether the work is payable"))

    async def create():
        wo, linked = await workorders.report(
            session,
            estate_id,
            unit_id=data.unit_id,
            place_id=data.place_id,
            category=data.category,
            problem=data.problem,
            urgency=data.urgency,
            description=data.description,
            photos=data.photos,
            source="resident" if resident else "staff",
            reporter_resident_id=principal.subject_id if resident else None,
            reporter_name=data.reporter_name or (principal.name or ""),
            reporter_phone=data.reporter_phone,
            preferred_from=data.preferred_from,
            preferred_to=data.preferred_to,
            payable=data.payable,
            actor=workorders.actor_of(principal),
        )
        return await _read(session, wo, linked=linked, fresh=not linked), 200 if linked else 201

    return await idempotent(request, session, principal, create)


def _filters(stmt, **values):
    for column, value in values.items():
        if value is not None:
            stmt = stmt.where(getattr(WorkOrder, column) == value)
    return stmt


@router.get(
    "/v1/estates/{estate_id}/work-orders",
    response_model=Page[WorkOrderRead],
    summary="Work orders, newest first, filtered; a resident sees their own units' orders and those they reported",
)
async def list_work_orders(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    state: str | None = None,
    category: str | None = None,
    urgency: str | None = None,
    technician_id: uuid.UUID | None = None,
    building_id: uuid.UUID | None = None,
    unit_id: uuid.UUID | None = None,
    source: str | None = None,
    breached: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    stmt = select(WorkOrder).where(WorkOrder.estate_id == estate_id)
    if principal.is_resident_only:
        me = principal.subject_id
        mine = select(WorkOrderReporter.work_order_id).where(WorkOrderReporter.resident_id == me)
        stmt = stmt.where(or_(WorkOrder.unit_id.in_(list(principal.units)), WorkOrder.id.in_(mine)))
    stmt = _filters(
        stmt,
        state=state,
        category=category,
        urgency=urgency,
        technician_id=technician_id,
        building_id=building_id,
        unit_id=unit_id,
        source=source,
        breached=breached,
    )
    rows = (
        await session.execute(paginate(stmt, params, key=WorkOrder.created_at, tiebreak=WorkOrder.id))
    ).scalars()
    items, cursor = page_of(list(rows), params, cursor_of=lambda w: [w.created_at.isoformat(), str(w.id)])
    return Page(items=[await _read(session, w, full=False) for w in items], next_cursor=cursor)


@router.get(
    "/v1/estates/{estate_id}/dispatch-queue",
    response_model=list[WorkOrderRead],
    summary="Open work orders by SLA risk: the soonest next deadline first (breached ones lead), then the oldest",
)
async def dispatch_queue(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(DISPATCH),
    unassigned: bool = False,
    limit: int = Query(100, ge=1, le=500),
):
    principal.require_estate(estate_id)
    states = workorders.DISPATCHABLE if unassigned else workorders.TRANSITIONS["change_urgency"][0]
    stmt = (
        select(WorkOrder)
        .where(WorkOrder.estate_id == estate_id, WorkOrder.state.in_(states))
        .order_by(WorkOrder.breached.desc(), WorkOrder.next_due_at.asc().nulls_last(), WorkOrder.created_at)
        .limit(limit)
    )
    return [await _read(session, w, full=False) for w in (await session.execute(stmt)).scalars()]


@router.get(
    "/v1/work-orders/{work_order_id}",
    response_model=WorkOrderRead,
    summary="A work order: clocks, timeline, reporters, parts",
)
async def get_work_order(work_order_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await _read(session, await _get(session, work_order_id, principal))


@router.post(
    "/v1/work-orders/{work_order_id}/actions",
    response_model=WorkOrderRead,
    summary="triage, assign (automatic, or a technician with a reason), accept/decline, en_route, arrive, pause, "
    "resume, complete (technician); confirm/reject (resident); reopen, cancel, change_urgency. 409 when the state "
    "does not allow it",
)
async def act(
    work_order_id: uuid.UUID, data: WorkOrderAction, session: Session, principal: Principal = Depends(ANYONE)
):
    wo = await _get(session, work_order_id, principal, lock=True)
    return await _read(session, await workorders.act(session, wo, data, principal=principal))


@router.post(
    "/v1/work-orders/{work_order_id}/parts",
    status_code=201,
    response_model=PartRead,
    summary="Record a part used (from the estate's price list) while the work is under way",
)
async def record_part(
    work_order_id: uuid.UUID, data: PartUse, session: Session, principal: Principal = Depends(STAFF)
):
    wo = await _get(session, work_order_id, principal, lock=True)
    return PartRead.model_validate(
        await workorders.record_part(session, wo, data.code, data.quantity, principal=principal)
    )
