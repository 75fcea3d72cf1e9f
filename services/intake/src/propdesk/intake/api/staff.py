from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.inputs import Moment
from propdesk.common.pagination import Page, PageParams, page_of, page_params
from propdesk.common.timeutil import utcnow
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import MANAGERS, STAFF
from propdesk.intake.schemas import (
    DepartmentRead,
    DutyShiftCreate,
    DutyShiftRead,
    StaffCreate,
    StaffRead,
    StaffUpdate,
)
from propdesk.intake.service import staff as service

router = APIRouter(tags=["staff"])


def _read(member) -> StaffRead:
    return StaffRead.model_validate(
        {
            **{c: getattr(member, c) for c in StaffRead.model_fields if c != "department"},
            "department": member.department.code,
        }
    )


@router.get("/v1/estates/{estate_id}/departments", response_model=list[DepartmentRead])
async def departments(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await service.departments(session, estate_id)


@router.post(
    "/v1/estates/{estate_id}/staff", status_code=201, response_model=StaffRead, summary="Add a staff member"
)
async def add_staff(
    request: Request,
    estate_id: uuid.UUID,
    data: StaffCreate,
    session: Session,
    principal: Principal = Depends(MANAGERS),
):
    principal.require_estate(estate_id)

    async def create():
        return _read(await service.add_staff(session, estate_id, data))

    return await idempotent(request, session, principal, create)


@router.get("/v1/estates/{estate_id}/staff", response_model=Page[StaffRead], summary="The staff directory")
async def list_staff(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    department: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    rows = await service.list_staff(
        session, estate_id, department=department, role=role, active=active, params=params
    )
    items, cursor = page_of(rows, params, cursor_of=lambda m: [m.name, str(m.id)])
    return Page(items=[_read(m) for m in items], next_cursor=cursor)


@router.patch("/v1/staff/{staff_id}", response_model=StaffRead)
async def update_staff(
    staff_id: uuid.UUID, data: StaffUpdate, session: Session, principal: Principal = Depends(MANAGERS)
):
    member = await service.get_staff(session, staff_id)
    principal.require_estate(member.estate_id)
    return _read(await service.update_staff(session, member, data))


@router.post(
    "/v1/estates/{estate_id}/duty-shifts",
    status_code=201,
    response_model=DutyShiftRead,
    summary="Put someone on the duty roster",
)
async def add_shift(
    estate_id: uuid.UUID, data: DutyShiftCreate, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    return await service.add_shift(session, estate_id, data)


@router.delete(
    "/v1/estates/{estate_id}/duty-shifts/{shift_id}",
    status_code=204,
    summary="Take a shift off the duty roster",
)
async def cancel_shift(
    estate_id: uuid.UUID, shift_id: uuid.UUID, session: Session, principal: Principal = Depends(MANAGERS)
) -> None:
    principal.require_estate(estate_id)
    await service.cancel_shift(session, estate_id, shift_id)


@router.get(
    "/v1/estates/{estate_id}/on-duty", response_model=list[DutyShiftRead], summary="Who is on duty at a time"
)
async def on_duty(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    at: Moment | None = None,
    duty: str | None = None,
):
    principal.require_estate(estate_id)
    return await service.on_duty(session, estate_id, at or utcnow(), duty)
