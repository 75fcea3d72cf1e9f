from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy import select

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.repairs.api.deps import DISPATCH, STAFF
from propdesk.repairs.errors import ScheduleNotFound
from propdesk.repairs.models import MaintenanceSchedule
from propdesk.repairs.schemas import ScheduleCreate, ScheduleRead
from propdesk.repairs.service import maintenance

router = APIRouter(tags=["preventive maintenance"])


async def _read(session, s: MaintenanceSchedule) -> ScheduleRead:
    missed, upcoming = await maintenance.visits(session, s)
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
    return await _read(session, await maintenance.create(session, estate_id, data))


@router.get(
    "/v1/estates/{estate_id}/maintenance-schedules",
    response_model=list[ScheduleRead],
    summary="Schedules with their next date, upcoming visits and the missed ones",
)
async def list_schedules(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    rows = await session.execute(
        select(MaintenanceSchedule)
        .where(MaintenanceSchedule.estate_id == estate_id)
        .order_by(MaintenanceSchedule.next_due_on)
    )
    return [await _read(session, s) for s in rows.scalars()]


@router.post(
    "/v1/maintenance-schedules/{schedule_id}/deactivate",
    response_model=ScheduleRead,
    summary="Stop a schedule",
)
async def deactivate(schedule_id: uuid.UUID, session: Session, principal: Principal = Depends(DISPATCH)):
    s = await session.get(MaintenanceSchedule, schedule_id, with_for_update=True)
    if s is None:
        raise ScheduleNotFound(f"schedule {schedule_id} not found")
    principal.require_estate(s.estate_id)
    s.active = False
    await session.flush()
    return await _read(session, s)
