from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.inputs import Moment
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.timeutil import zone
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, DESK, MANAGERS, STAFF
from propdesk.intake.schemas import (
    InspectionRead,
    InspectionRecord,
    InspectionSchedule,
    RenovationAcceptance,
    RenovationAction,
    RenovationCreate,
    RenovationRead,
    RenovationReview,
    WorkingHoursCheck,
)
from propdesk.intake.service import inspections, policy, renovations
from propdesk.intake.service.activity import actor_of
from propdesk.intake.service.estates import get_estate
from propdesk.intake.service.policy import Policy

router = APIRouter(tags=["renovation"])


@router.post(
    "/v1/estates/{estate_id}/renovations",
    status_code=201,
    response_model=RenovationRead,
    summary="Apply for a renovation (装修申请): contractor, scope, planned dates, workers",
)
async def apply(
    request: Request,
    estate_id: uuid.UUID,
    data: RenovationCreate,
    session: Session,
    principal: Principal = Depends(ANYONE),
):
    principal.require_estate(estate_id)

    async def create():
        return await inspections.read(
            session, await renovations.apply(session, estate_id, data, principal=principal)
        )

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/renovations",
    response_model=Page[RenovationRead],
    summary="Renovations, newest first; a resident sees only their own units'",
)
async def list_renovations(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    state: str | None = None,
    unit_id: uuid.UUID | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    filters = {"state": state, "unit_id": unit_id}
    items, cursor = await renovations.listing(session, estate_id, principal, filters=filters, params=params)
    return Page(items=[await inspections.read(session, r, full=False) for r in items], next_cursor=cursor)


@router.get(
    "/v1/renovations/{renovation_id}",
    response_model=RenovationRead,
    summary="A renovation with its inspections and timeline",
)
async def get_renovation(renovation_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await inspections.read(
        session, await renovations.get(session, renovation_id, principal, lock=False)
    )


@router.post(
    "/v1/renovations/{renovation_id}/review",
    response_model=RenovationRead,
    summary="Approve (with conditions and a deposit billing is asked to hold) or reject an application",
)
async def review(
    renovation_id: uuid.UUID, data: RenovationReview, session: Session, principal: Principal = Depends(DESK)
):
    r = await renovations.get(session, renovation_id, principal)
    return await inspections.read(session, await renovations.review(session, r, data, principal=principal))


@router.post(
    "/v1/renovations/{renovation_id}/actions",
    response_model=RenovationRead,
    summary="start (staff, once the deposit is held), request_acceptance, cancel; not allowed in the state: 409",
)
async def act(
    renovation_id: uuid.UUID, data: RenovationAction, session: Session, principal: Principal = Depends(ANYONE)
):
    r = await renovations.get(session, renovation_id, principal)
    return await inspections.read(session, await renovations.act(session, r, data, principal=principal))


@router.post(
    "/v1/renovations/{renovation_id}/inspections",
    status_code=201,
    response_model=InspectionRead,
    summary="Schedule an inspection of the works",
)
async def schedule_inspection(
    renovation_id: uuid.UUID,
    data: InspectionSchedule,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    r = await renovations.get(session, renovation_id, principal)
    return InspectionRead.model_validate(
        await inspections.schedule_inspection(session, r, data, principal=principal)
    )


@router.post(
    "/v1/renovations/{renovation_id}/inspections/{inspection_id}/record",
    response_model=InspectionRead,
    summary="Record an inspection's findings; each violation found is recorded and served a notice",
)
async def record_inspection(
    renovation_id: uuid.UUID,
    inspection_id: uuid.UUID,
    data: InspectionRecord,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    r = await renovations.get(session, renovation_id, principal)
    inspection = await inspections.of_renovation(session, r, inspection_id)
    return InspectionRead.model_validate(
        await inspections.record_inspection(session, r, inspection, data, principal=principal)
    )


@router.post(
    "/v1/renovations/{renovation_id}/acceptance",
    response_model=RenovationRead,
    summary="Completion acceptance (竣工验收): pass with itemised deductions (deposit release requested) or fail",
)
async def accept(
    renovation_id: uuid.UUID,
    data: RenovationAcceptance,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    r = await renovations.get(session, renovation_id, principal)
    return await inspections.read(session, await renovations.accept(session, r, data, principal=principal))


@router.get(
    "/v1/estates/{estate_id}/renovation-hours/check",
    response_model=WorkingHoursCheck,
    summary="Whether renovation works are permitted at a moment (default now): estate hours and working days",
)
async def check_hours(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    at: Moment | None = None,
):
    principal.require_estate(estate_id)
    estate = await get_estate(session, estate_id)
    moment = at or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(estate.timezone))  # a naive time is the estate's local time
    allowed, reason = (await policy.load(session, estate_id)).may_renovate(moment, estate.timezone)
    return WorkingHoursCheck(at=moment, allowed=allowed, reason=reason)


@router.get(
    "/v1/estates/{estate_id}/desk-policy",
    response_model=Policy,
    summary="The estate's desk policy: follow-up sampling, renovation hours and deposit, violation deadlines, "
    "vacant-unit inspections",
)
async def get_policy(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await policy.load(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/desk-policy", response_model=Policy, summary="Replace the estate's desk policy"
)
async def put_policy(
    estate_id: uuid.UUID, data: Policy, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    await get_estate(session, estate_id)
    return await policy.save(session, estate_id, data, actor_of(principal))
