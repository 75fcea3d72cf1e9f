from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, STAFF
from propdesk.intake.schemas import (
    VacantInspectionCreate,
    VacantInspectionRead,
    VacantUnitRead,
    ViolationAction,
    ViolationCreate,
    ViolationRead,
)
from propdesk.intake.service import vacant, violations
from propdesk.intake.service.registry import get_unit

router = APIRouter(tags=["violations and vacant units"])


@router.post(
    "/v1/estates/{estate_id}/violations",
    status_code=201,
    response_model=ViolationRead,
    summary="Record a violation (违章) with evidence; its rectification notice and deadline are served at once",
)
async def record_violation(
    request: Request,
    estate_id: uuid.UUID,
    data: ViolationCreate,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    principal.require_estate(estate_id)

    async def create():
        await violations.check_renovation(session, estate_id, data.renovation_id, data.unit_id)
        v = await violations.record(
            session,
            estate_id,
            data,
            unit_id=data.unit_id,
            place_id=data.place_id,
            renovation_id=data.renovation_id,
            principal=principal,
        )
        return await violations.read(session, v)

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/violations",
    response_model=Page[ViolationRead],
    summary="Violations, newest first; a resident sees only their own units'",
)
async def list_violations(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    state: str | None = None,
    type: str | None = None,
    unit_id: uuid.UUID | None = None,
    escalated: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    filters = {"state": state, "type": type, "unit_id": unit_id}
    items, cursor = await violations.listing(
        session, estate_id, principal, filters=filters, escalated=escalated, params=params
    )
    return Page(
        items=[await violations.read(session, v, with_timeline=False) for v in items], next_cursor=cursor
    )


@router.get(
    "/v1/violations/{violation_id}", response_model=ViolationRead, summary="A violation and its timeline"
)
async def get_violation(violation_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await violations.read(session, await violations.get(session, violation_id, principal))


@router.post(
    "/v1/violations/{violation_id}/actions",
    response_model=ViolationRead,
    summary="notice (a new deadline), reinspect (rectified or not), fine (sent to billing), cancel",
)
async def violation_action(
    violation_id: uuid.UUID, data: ViolationAction, session: Session, principal: Principal = Depends(STAFF)
):
    v = await violations.get(session, violation_id, principal, lock=True)
    return await violations.read(session, await violations.act(session, v, data, principal=principal))


@router.get(
    "/v1/estates/{estate_id}/vacant-units",
    response_model=list[VacantUnitRead],
    summary="Vacant units (空置房) with their last inspection and the next one due; overdue=true for the late",
)
async def vacant_units(
    estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF), overdue: bool = False
):
    principal.require_estate(estate_id)
    return await vacant.vacant_units(session, estate_id, overdue_only=overdue)


@router.post(
    "/v1/units/{unit_id}/vacant-inspections",
    status_code=201,
    response_model=VacantInspectionRead,
    summary="Record a vacant-unit inspection; a failed finding with repair_category becomes a repair request",
)
async def inspect_vacant(
    request: Request,
    unit_id: uuid.UUID,
    data: VacantInspectionCreate,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    unit = await get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)

    async def create():
        return VacantInspectionRead.model_validate(
            await vacant.inspect(session, unit, data, principal=principal)
        )

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/units/{unit_id}/vacant-inspections",
    response_model=list[VacantInspectionRead],
    summary="A vacant unit's inspections, newest first",
)
async def vacant_history(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    unit = await get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)
    return [VacantInspectionRead.model_validate(i) for i in await vacant.history(session, unit_id)]
