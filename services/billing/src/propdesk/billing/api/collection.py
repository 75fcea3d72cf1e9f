"""Arrears, the arrears policy (late fees, dunning) and the daily run."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from propdesk.billing.api.deps import FINANCE, actor
from propdesk.billing.service import arrears, collection
from propdesk.common.auth import Principal
from propdesk.common.inputs import Day
from propdesk.common.timeutil import to_local, utcnow
from propdesk.common.web import Session

router = APIRouter(tags=["billing"])


@router.get(
    "/v1/estates/{estate_id}/arrears",
    summary="Arrears aged 0-30, 31-60, 61-90 and 90+ days past due, per unit, building and estate",
)
async def arrears_view(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(FINANCE),
    as_of: Day | None = None,
    building_id: uuid.UUID | None = None,
    limit: int = Query(100, ge=1, le=100_000, description="how many units to list, largest arrears first"),
) -> dict:
    principal.require_estate(estate_id)
    today = as_of or to_local(utcnow()).date()
    return await arrears.aging(session, estate_id, today, building_id=building_id, limit=limit)


@router.get(
    "/v1/estates/{estate_id}/billing-policy",
    response_model=collection.Policy,
    summary="Late fees (off by default) and dunning stages",
)
async def get_policy(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(FINANCE)):
    principal.require_estate(estate_id)
    return await collection.policy_of(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/billing-policy",
    response_model=collection.Policy,
    summary="Replace the arrears policy",
)
async def put_policy(
    estate_id: uuid.UUID, data: collection.Policy, session: Session, principal: Principal = Depends(FINANCE)
):
    principal.require_estate(estate_id)
    return await collection.save_policy(session, estate_id, data, actor(principal))


@router.post(
    "/v1/estates/{estate_id}/billing-days/{day}/run",
    summary="Run a day's late fees and dunning (the daily timer does this at 01:00; this catches a day up). "
    "Running a day twice accrues and sends nothing twice",
)
async def run_day(
    estate_id: uuid.UUID, day: Day, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    return await collection.run_day(session, estate_id, day)
