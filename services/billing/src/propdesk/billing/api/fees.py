"""Fee items and billing runs."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.billing.api.deps import DESK, FINANCE
from propdesk.billing.schemas import FeeItemCreate, FeeItemRead, RunCreate, RunPreview
from propdesk.billing.service import invoices, runs
from propdesk.common.auth import Principal
from propdesk.common.web import Session

router = APIRouter(tags=["billing"])


@router.get(
    "/v1/estates/{estate_id}/fee-items", response_model=list[FeeItemRead], summary="Fee items and their rates"
)
async def fee_items(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(DESK)):
    principal.require_estate(estate_id)
    return [FeeItemRead.model_validate(f) for f in await invoices.fee_items(session, estate_id)]


@router.post(
    "/v1/estates/{estate_id}/fee-items",
    status_code=201,
    response_model=FeeItemRead,
    summary="A fee item with its effective dates",
)
async def add_fee_item(
    estate_id: uuid.UUID, data: FeeItemCreate, session: Session, principal: Principal = Depends(FINANCE)
):
    principal.require_estate(estate_id)
    return FeeItemRead.model_validate(await invoices.add_fee_item(session, estate_id, data))


@router.post(
    "/v1/estates/{estate_id}/billing-runs",
    summary="Bill every unit for a month's fee items (set-based); running a period again bills nothing twice",
)
async def billing_run(
    estate_id: uuid.UUID, data: RunCreate, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    return await runs.run(session, estate_id, data.period, expected_total_fen=data.expected_total_fen)


@router.post(
    "/v1/estates/{estate_id}/billing-runs/preview",
    summary="What a run of the period would issue, without issuing anything: totals per fee item and per "
    "building, the units it would skip and why (already billed, no fee item for their kind, nothing to bill)",
)
async def billing_run_preview(
    estate_id: uuid.UUID, data: RunPreview, session: Session, principal: Principal = Depends(FINANCE)
) -> dict:
    principal.require_estate(estate_id)
    return await runs.preview(session, estate_id, data.period)
