from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.repairs.api.deps import DISPATCH, STAFF
from propdesk.repairs.models import MaintenanceSchedule
from propdesk.repairs.schemas import ScheduleCreate, ScheduleRead
from propdesk.repairs.service import maintenance

router = APIRouter(tags=["preventive maintenance"])


def _read(s: MaintenanceSchedule, missed: list, upcoming: list) -> ScheduleRead:
    return ScheduleRead.model_validate(s).model_copy(update={"missed": missed, "upcoming": upcoming})


@router.post(
    "/v1/estates/{estate_id}/maintenance-schedules",
    status_code=201,
    response_model=ScheduleRead,
    summary="A recurring maintenance schedule for a piece of equipment (cron, estate local time)",
)
async def create_schedule(
    estate_id: uuid.UUID, data: ScheduleCreate, session: Session, principal: Principal = Depends(DISPATCH)
):
    principal.require_estate(estate_id)
    s = await maintenance.create(session, estate_id, data)
    return _read(s, *await maintenance.visits(session, s))


@router.get(
    "/v1/estates/{estate_id}/maintenance-schedules",
    response_model=list[ScheduleRead],
    summary="Schedules with their next date, upcoming visits and the missed ones",
)
async def list_schedules(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return [_read(*row) for row in await maintenance.of_estate(session, estate_id)]


@router.post(
    "/v1/maintenance-schedules/{schedule_id}/deactivate",
    response_model=ScheduleRead,
    summary="Stop a schedule",
)
async def deactivate(schedule_id: uuid.UUID, session: Session, principal: Principal = Depends(DISPATCH)):
    s = await maintenance.deactivate(session, schedule_id, principal)
    return _read(s, *await maintenance.visits(session, s))
