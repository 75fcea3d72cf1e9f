from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.pagination import Page, PageParams, page_of, page_params
from propdesk.common.web import CurrentPrincipal, Session, idempotent
from propdesk.intake.repository import EstateRepository
from propdesk.intake.schemas import EstateCreate, EstateRead
from propdesk.intake.service import estates as service

router = APIRouter(prefix="/v1/estates", tags=["estates"])


@router.post("", status_code=201, response_model=EstateRead, summary="Register an estate (小区)")
async def register_estate(
    request: Request,
    data: EstateCreate,
    session: Session,
    principal: Principal = Depends(require_roles(Role.admin)),
):
    async def create() -> EstateRead:
        return service.to_read(await service.register_estate(session, data))

    return await idempotent(request, session, principal, create)


@router.get("", response_model=Page[EstateRead], summary="Estates the caller may see")
async def list_estates(
    session: Session, principal: CurrentPrincipal, params: PageParams = Depends(page_params)
):
    rows = await EstateRepository(session).list_visible(principal, params)
    items, cursor = page_of(rows, params, cursor_of=lambda e: [e.created_at.isoformat(), str(e.id)])
    return Page(items=[service.to_read(e) for e in items], next_cursor=cursor)


@router.get("/{estate_id}", response_model=EstateRead, summary="One estate with its onboarding state")
async def get_estate(estate_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    principal.require_estate(estate_id)
    return service.to_read(await service.get_estate(session, estate_id))
