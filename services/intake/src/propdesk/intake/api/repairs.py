from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import DESK, STAFF
from propdesk.intake.schemas import RepairRequestCreate, RepairRequestRead
from propdesk.intake.service import repairs

router = APIRouter(tags=["repair requests"])


@router.post(
    "/v1/estates/{estate_id}/repair-requests",
    status_code=201,
    response_model=RepairRequestRead,
    summary="A repair need taken at the desk (walk-in): sent to repairs",
)
async def request_repair(
    request: Request,
    estate_id: uuid.UUID,
    data: RepairRequestCreate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    principal.require_estate(estate_id)

    async def create():
        return await repairs.request_repair(session, estate_id, data, source="walk_in", source_id=None)

    return await idempotent(request, session, principal, create)


@router.post(
    "/v1/cases/{case_id}/repair-request",
    status_code=201,
    response_model=RepairRequestRead,
    summary="Turn a case's repair need into a work order request; the case links to the work order",
)
async def case_repair_request(
    case_id: uuid.UUID, data: RepairRequestCreate, session: Session, principal: Principal = Depends(DESK)
):
    case = await repairs.for_case(session, case_id, principal)
    return await repairs.request_repair(session, case.estate_id, data, source="case", source_id=case.id)


@router.get("/v1/repair-requests/{request_id}", response_model=RepairRequestRead)
async def get_repair_request(request_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    return await repairs.get(session, request_id, principal)
