from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from propdesk.common.auth import Principal
from propdesk.common.inputs import Day
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, DESK, MANAGERS, STAFF, id_key
from propdesk.intake.schemas import (
    BlockedVisitorCreate,
    BlockedVisitorRead,
    CheckInByCode,
    VisitCreate,
    VisitRead,
)
from propdesk.intake.service import visitors

router = APIRouter(tags=["visitors"])


@router.post(
    "/v1/estates/{estate_id}/visits",
    status_code=201,
    response_model=VisitRead,
    summary="Pre-register a visit (a resident, for their own unit) or register a walk-in (the desk)",
)
async def register(
    request: Request,
    estate_id: uuid.UUID,
    data: VisitCreate,
    session: Session,
    principal: Principal = Depends(ANYONE),
):
    principal.require_estate(estate_id)
    hours = request.app.state.runtime.settings.walk_in_visit_hours

    async def create():
        return VisitRead.model_validate(
            await visitors.register(
                session, estate_id, data, principal=principal, id_key=id_key(request), walk_in_hours=hours
            )
        )

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/visits",
    response_model=Page[VisitRead],
    summary="The visitor log: by unit, date and name; a resident sees their own units' visits",
)
async def visitor_log(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    unit_id: uuid.UUID | None = None,
    on: Day | None = Query(None, description="estate-local date"),
    name: str | None = Query(None, max_length=100),
    state: str | None = None,
    overstay: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await visitors.log_of(
        session,
        estate_id,
        principal,
        unit_id=unit_id,
        on=on,
        name=name,
        state=state,
        overstay=overstay,
        params=params,
    )
    return Page(items=[VisitRead.model_validate(v) for v in items], next_cursor=cursor)


@router.post(
    "/v1/visits/{visit_id}/{action}",
    response_model=VisitRead,
    summary="confirm or refuse (the host), check_in or check_out (the desk), cancel",
)
async def act(
    visit_id: uuid.UUID,
    action: Literal["confirm", "refuse", "check_in", "check_out", "cancel"],
    session: Session,
    principal: Principal = Depends(ANYONE),
):
    visit = await visitors.get(session, visit_id, principal, lock=True)
    return await visitors.transition(session, visit, action, principal=principal)


@router.post(
    "/v1/estates/{estate_id}/visits/check-in",
    response_model=VisitRead,
    summary="Check a pre-registered visitor in by their six-digit code",
)
async def check_in_by_code(
    estate_id: uuid.UUID, data: CheckInByCode, session: Session, principal: Principal = Depends(DESK)
):
    principal.require_estate(estate_id)
    visit = await visitors.by_code(session, estate_id, data.code)
    return await visitors.transition(session, visit, "check_in", principal=principal)


@router.post(
    "/v1/estates/{estate_id}/blocked-visitors",
    status_code=201,
    response_model=BlockedVisitorRead,
    summary="Put someone on the blocked-visitor list",
)
async def block(
    request: Request,
    estate_id: uuid.UUID,
    data: BlockedVisitorCreate,
    session: Session,
    principal: Principal = Depends(MANAGERS),
):
    principal.require_estate(estate_id)
    return await visitors.block(session, estate_id, data, principal=principal, id_key=id_key(request))


@router.get("/v1/estates/{estate_id}/blocked-visitors", response_model=Page[BlockedVisitorRead])
async def blocked(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await visitors.blocked(session, estate_id, params)
    return Page(items=[BlockedVisitorRead.model_validate(b) for b in items], next_cursor=cursor)


@router.delete("/v1/blocked-visitors/{entry_id}", status_code=204, summary="Lift a block")
async def unblock(entry_id: uuid.UUID, session: Session, principal: Principal = Depends(MANAGERS)):
    await visitors.unblock(session, entry_id, principal)
