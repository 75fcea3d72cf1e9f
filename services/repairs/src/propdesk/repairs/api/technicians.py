from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.repairs.api.deps import DISPATCH, STAFF
from propdesk.repairs.schemas import Rota, TechnicianProfile, TechnicianRead
from propdesk.repairs.service import technicians

router = APIRouter(tags=["technicians"])


@router.get(
    "/v1/estates/{estate_id}/technicians",
    response_model=list[TechnicianRead],
    summary="Technicians (from intake's staff) with skills, certificates, rota, current load and whether on shift",
)
async def list_technicians(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await technicians.of_estate(session, estate_id)


@router.put(
    "/v1/technicians/{technician_id}/rota",
    response_model=TechnicianRead,
    summary="Replace the technician's weekly shifts and on-call windows",
)
async def put_rota(
    technician_id: uuid.UUID, data: Rota, session: Session, principal: Principal = Depends(DISPATCH)
):
    tech = await technicians.get(session, technician_id, principal)
    return await technicians.set_rota(session, tech, data)


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
    tech = await technicians.get(session, technician_id, principal)
    return await technicians.set_home(session, tech, data.home_building_id)
