"""Meter readings (for metered fees)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.billing import repository
from propdesk.billing.api.deps import ANYONE, DESK
from propdesk.billing.models import Unit
from propdesk.billing.schemas import ReadingCreate, ReadingRead
from propdesk.billing.service import registry
from propdesk.common.auth import Principal
from propdesk.common.web import Session

router = APIRouter(tags=["billing"])


@router.post(
    "/v1/units/{unit_id}/meter-readings",
    response_model=ReadingRead,
    status_code=201,
    summary="A meter reading (for metered fees)",
)
async def add_reading(
    unit_id: uuid.UUID, data: ReadingCreate, session: Session, principal: Principal = Depends(DESK)
):
    await repository.managed(session, Unit, unit_id, principal)
    await registry.record_readings(session, unit_id, [data], data.read_on, "reading")
    return ReadingRead(meter=data.meter, reading=data.reading, read_on=data.read_on, source="reading")


@router.get(
    "/v1/units/{unit_id}/meter-readings",
    response_model=list[ReadingRead],
    summary="A unit's meter readings, newest first",
)
async def readings(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    await repository.visible(session, Unit, unit_id, principal)
    return [ReadingRead.model_validate(r) for r in await registry.readings(session, unit_id)]
