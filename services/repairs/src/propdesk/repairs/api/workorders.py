from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request

from propdesk.common.auth import Principal
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.repairs.api.deps import ANYONE, DISPATCH, STAFF
from propdesk.repairs.schemas import PartRead, PartUse, WorkOrderAction, WorkOrderCreate, WorkOrderRead
from propdesk.repairs.service import charges, reporting, timeline, transitions, views

router = APIRouter(tags=["work orders"])


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
        wo, linked = await reporting.report(
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
            actor=timeline.actor_of(principal),
        )
        return await views.read(session, wo, linked=linked, fresh=not linked), 200 if linked else 201

    return await idempotent(request, session, principal, create)


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
    filters = {
        "state": state,
        "category": category,
        "urgency": urgency,
        "technician_id": technician_id,
        "building_id": building_id,
        "unit_id": unit_id,
        "source": source,
        "breached": breached,
    }
    items, cursor = await views.listing(session, estate_id, principal, filters=filters, params=params)
    return Page(items=items, next_cursor=cursor)


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
    return await views.dispatch_queue(session, estate_id, unassigned=unassigned, limit=limit)


@router.get(
    "/v1/work-orders/{work_order_id}",
    response_model=WorkOrderRead,
    summary="A work order: clocks, timeline, reporters, parts",
)
async def get_work_order(work_order_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await views.read(session, await views.get(session, work_order_id, principal))


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
    wo = await views.get(session, work_order_id, principal, lock=True)
    command = transitions.COMMANDS[data.action]
    return await views.read(session, await command(session, wo, principal=principal, **data.arguments()))


@router.post(
    "/v1/work-orders/{work_order_id}/parts",
    status_code=201,
    response_model=PartRead,
    summary="Record a part used (from the estate's price list) while the work is under way",
)
async def record_part(
    work_order_id: uuid.UUID, data: PartUse, session: Session, principal: Principal = Depends(STAFF)
):
    wo = await views.get(session, work_order_id, principal, lock=True)
    part = await charges.record_part(session, wo, code=data.code, quantity=data.quantity, principal=principal)
    return PartRead.model_validate(part)
