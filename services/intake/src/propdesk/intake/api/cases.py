from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, MANAGERS, STAFF
from propdesk.intake.schemas import (
    CaseAction,
    CaseCreate,
    CaseRead,
    CaseSlaTargetRead,
    CaseSlaTargetWrite,
)
from propdesk.intake.service import case_targets, cases

router = APIRouter(tags=["cases"])


@router.post(
    "/v1/estates/{estate_id}/cases",
    status_code=201,
    response_model=CaseRead,
    summary="Open a case: inquiry, complaint, praise or suggestion (a resident: for their own unit)",
)
async def open_case(
    request: Request,
    estate_id: uuid.UUID,
    data: CaseCreate,
    session: Session,
    principal: Principal = Depends(ANYONE),
):
    principal.require_estate(estate_id)

    async def create():
        return await cases.read(session, await cases.open_case(session, estate_id, data, principal=principal))

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/cases",
    response_model=Page[CaseRead],
    summary="Cases, newest first; a resident sees only their own units' cases",
)
async def list_cases(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    state: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    unit_id: uuid.UUID | None = None,
    escalated: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    filters = {"state": state, "kind": kind, "category": category, "unit_id": unit_id}
    items, cursor = await cases.listing(
        session, estate_id, principal, filters=filters, escalated=escalated, params=params
    )
    return Page(items=[await cases.read(session, c, with_timeline=False) for c in items], next_cursor=cursor)


@router.get("/v1/cases/{case_id}", response_model=CaseRead, summary="A case with its clocks and timeline")
async def get_case(case_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await cases.read(session, await cases.get(session, case_id, principal))


@router.post(
    "/v1/cases/{case_id}/actions",
    response_model=CaseRead,
    summary="acknowledge, respond, assign, update, wait (for the resident), resume, resolve, "
    "confirm or reject (the resident), cancel; an action the state does not allow is 409",
)
async def case_action(
    case_id: uuid.UUID, action: CaseAction, session: Session, principal: Principal = Depends(ANYONE)
):
    case = await cases.get(session, case_id, principal, lock=True)
    return await cases.read(session, await cases.act(session, case, action, principal=principal))


@router.get(
    "/v1/estates/{estate_id}/case-sla-targets",
    response_model=list[CaseSlaTargetRead],
    summary="Case SLA targets in force: the defaults and this estate's overrides",
)
async def sla_targets(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await case_targets.in_force(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/case-sla-targets",
    response_model=CaseSlaTargetRead,
    summary="Set one target for this estate (kind × category × severity × milestone)",
)
async def set_sla_target(
    estate_id: uuid.UUID, data: CaseSlaTargetWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    return await case_targets.save(session, estate_id, data.model_dump())
