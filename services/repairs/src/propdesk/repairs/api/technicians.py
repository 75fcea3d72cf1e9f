from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy import delete, select

from propdesk.common.auth import Principal
from propdesk.common.timeutil import utcnow
from propdesk.common.web import Session
from propdesk.repairs.api.deps import DISPATCH, STAFF
from propdesk.repairs.errors import LocationNotFound, TechnicianNotFound
from propdesk.repairs.models import Building, Shift, Technician
from propdesk.repairs.schemas import OnCall, Rota, TechnicianProfile, TechnicianRead, WeeklyShift
from propdesk.repairs.service import dispatch, estates

router = APIRouter(tags=["technicians"])


def _rota(shifts: list[Shift]) -> Rota:
    return Rota(
        weekly=[
            WeeklyShift(weekday=s.weekday, starts=s.starts, ends=s.ends) for s in shifts if s.kind == "weekly"
        ],
        on_call=[OnCall(from_at=s.from_at, to_at=s.to_at) for s in shifts if s.kind == "on_call"],
    )


async def _read(session, techs: list[Technician]) -> list[TechnicianRead]:
    if not techs:
        return []
    estate_id = techs[0].estate_id
    tz, load = await estates.timezone_of(session, estate_id), await dispatch.loads(session, estate_id)
    rota, now = await dispatch.shifts_of(session, [t.id for t in techs]), utcnow()
    return [
        TechnicianRead.model_validate(t).model_copy(
            update={
                "load": load.get(t.id, 0),
                "on_shift": dispatch.on_shift(rota[t.id], now, tz),
                "rota": _rota(rota[t.id]),
            }
        )
        for t in techs
    ]


async def _get(session, technician_id: uuid.UUID, principal: Principal) -> Technician:
    tech = await session.get(Technician, technician_id)
    if tech is None:
        raise TechnicianNotFound(f"technician {technician_id} not known to repairs")
    principal.require_estate(tech.estate_id)
    return tech


@router.get(
    "/v1/estates/{estate_id}/technicians",
    response_model=list[TechnicianRead],
    summary="Technicians (from intake's staff) with skills, certificates, rota, current load and whether on shift",
)
async def list_technicians(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    await estates.require_estate(session, estate_id)
    techs = (
        await session.execute(
            select(Technician).where(Technician.estate_id == estate_id).order_by(Technician.name)
        )
    ).scalars()
    return await _read(session, list(techs))


@router.put(
    "/v1/technicians/{technician_id}/rota",
    response_model=TechnicianRead,
    summary="Replace the technician's weekly shifts and on-call windows",
)
async def put_rota(
    technician_id: uuid.UUID, data: Rota, session: Session, principal: Principal = Depends(DISPATCH)
):
    tech = await _get(session, technician_id, principal)
    await session.execute(delete(Shift).where(Shift.technician_id == tech.id))
    session.add_all(
        [
            Shift(technician_id=tech.id, kind="weekly", weekday=w.weekday, starts=w.starts, ends=w.ends)
            for w in data.weekly
        ]
        + [
            Shift(technician_id=tech.id, kind="on_call", from_at=o.from_at, to_at=o.to_at)
            for o in data.on_call
        ]
    )
    await session.flush()
    dispatch.forget_roster(tech.estate_id)
    return (await _read(session, [tech]))[0]


@router.put(
    "/v1/technicians/{technician_id}/profile",
    response_model=TechnicianRead,
    summary="repairs' own profile: the home building (for 'nearest')",
)
async def put_profile(
    technician_id: uuid.UUID,
    data: TechnicianProfile,
    session: Session,
    principal: Principal = Depends(DISPATCH),
):
    tech = await _get(session, technician_id, principal)
    if data.home_building_id is not None:
        b = await session.get(Building, data.home_building_id)
        if b is None or b.estate_id != tech.estate_id:
            raise LocationNotFound(f"building {data.home_building_id} is not known in this estate")
    tech.home_building_id = data.home_building_id
    await session.flush()
    dispatch.forget_roster(tech.estate_id)
    return (await _read(session, [tech]))[0]
