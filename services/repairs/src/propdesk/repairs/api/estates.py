from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common import taxonomy
from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.repairs.api.deps import ANYONE, MANAGERS, STAFF
from propdesk.repairs.schemas import (
    PriceItemRead,
    PriceItemWrite,
    RepairSettings,
    SlaTargetRead,
    SlaTargetWrite,
)
from propdesk.repairs.service import estates

router = APIRouter(tags=["estate settings"])


@router.get(
    "/v1/repair-taxonomy", summary="Categories and their problems (place × category × problem), zh-CN and en"
)
async def repair_taxonomy(principal: Principal = Depends(ANYONE)) -> list[dict]:
    return taxonomy.as_json()


@router.get(
    "/v1/estates/{estate_id}/sla-targets",
    response_model=list[SlaTargetRead],
    summary="SLA targets per urgency and milestone (DOMAIN.md defaults; a category's own rows win)",
)
async def list_sla_targets(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await estates.sla_targets(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/sla-targets",
    response_model=SlaTargetRead,
    summary="Set one target (urgency × milestone, optionally for one category); applies to new orders",
)
async def put_sla_target(
    estate_id: uuid.UUID, data: SlaTargetWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    target_id = await estates.put_sla_target(session, estate_id, **data.model_dump())
    return SlaTargetRead(id=target_id, estate_id=estate_id, **data.model_dump())


@router.get(
    "/v1/estates/{estate_id}/repair-settings",
    response_model=RepairSettings,
    summary="Labour rate, duplicate window, auto-close, auto-dispatch",
)
async def get_settings(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    await estates.require_estate(session, estate_id)
    s = await estates.settings_for(session, estate_id)
    return RepairSettings(
        labour_rate_fen_per_hour=s.labour_rate_fen_per_hour,
        duplicate_window_minutes=s.duplicate_window_minutes,
        auto_close_days=s.auto_close_days,
        auto_dispatch=s.auto_dispatch,
    )


@router.put(
    "/v1/estates/{estate_id}/repair-settings",
    response_model=RepairSettings,
    summary="Replace the estate's repair settings",
)
async def put_settings(
    estate_id: uuid.UUID, data: RepairSettings, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    return await estates.put_settings(session, estate_id, data)


@router.get(
    "/v1/estates/{estate_id}/price-items",
    response_model=list[PriceItemRead],
    summary="The parts price list (fen)",
)
async def price_items(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await estates.price_list(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/price-items",
    response_model=PriceItemRead,
    summary="Add or change one part (by code)",
)
async def put_price_item(
    estate_id: uuid.UUID, data: PriceItemWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    return await estates.put_price_item(session, estate_id, data.model_dump())
