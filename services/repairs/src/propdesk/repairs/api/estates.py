from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.repairs.api.deps import ANYONE, MANAGERS, STAFF
from propdesk.repairs.models import EstateSettings, PriceItem, SlaTarget
from propdesk.repairs.schemas import (
    PriceItemRead,
    PriceItemWrite,
    RepairSettings,
    SlaTargetRead,
    SlaTargetWrite,
)
from propdesk.repairs.service import estates, taxonomy

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
    await estates.require_estate(session, estate_id)
    stmt = pg_insert(SlaTarget).values(id=uuid.uuid4(), estate_id=estate_id, **data.model_dump())
    stmt = stmt.on_conflict_do_update(
        index_elements=["estate_id", "urgency", "milestone", "category"],
        set_={"target_minutes": data.target_minutes, "calendar": data.calendar},
    ).returning(SlaTarget.id)
    target_id = (await session.execute(stmt)).scalar_one()
    estates.invalidate(estate_id)
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
    await estates.require_estate(session, estate_id)
    stmt = pg_insert(EstateSettings).values(estate_id=estate_id, **data.model_dump())
    await session.execute(stmt.on_conflict_do_update(index_elements=["estate_id"], set_=data.model_dump()))
    estates.invalidate(estate_id)
    return data


@router.get(
    "/v1/estates/{estate_id}/price-items",
    response_model=list[PriceItemRead],
    summary="The parts price list (fen)",
)
async def price_items(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    await estates.require_estate(session, estate_id)
    rows = await session.execute(
        select(PriceItem).where(PriceItem.estate_id == estate_id).order_by(PriceItem.code)
    )
    return list(rows.scalars())


@router.put(
    "/v1/estates/{estate_id}/price-items",
    response_model=PriceItemRead,
    summary="Add or change one part (by code)",
)
async def put_price_item(
    estate_id: uuid.UUID, data: PriceItemWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    await estates.require_estate(session, estate_id)
    stmt = pg_insert(PriceItem).values(id=uuid.uuid4(), estate_id=estate_id, **data.model_dump())
    stmt = stmt.on_conflict_do_update(
        index_elements=["estate_id", "code"], set_={k: v for k, v in data.model_dump().items() if k != "code"}
    ).returning(PriceItem)
    return (await session.execute(stmt)).scalar_one()
