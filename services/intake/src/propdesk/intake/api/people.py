from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_of, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, DESK, STAFF, id_key
from propdesk.intake.schemas import (
    IdNumberSearch,
    OccupancyCreate,
    OccupancyEnd,
    OccupancyOfResident,
    OccupancyRead,
    ResidentChangeRead,
    ResidentCreate,
    ResidentRead,
    ResidentUpdate,
)
from propdesk.intake.service import people
from propdesk.intake.service.registry import get_unit
from propdesk.intake.validation import hash_id_number

router = APIRouter(tags=["residents"])


async def _found(session, residents) -> list[ResidentRead]:
    """Residents a search found, each with the units they live in now (a caller found by phone shows where)."""
    living = await people.current_units(session, [r.id for r in residents])
    return [
        ResidentRead.model_validate(r).model_copy(
            update={"occupancies": [OccupancyRead.model_validate(o) for o in living.get(r.id, [])]}
        )
        for r in residents
    ]


async def _read(session, resident) -> ResidentRead:
    read = ResidentRead.model_validate(resident)
    read.occupancies = [
        OccupancyRead.model_validate(o) for o in await people.occupancies_of(session, resident_id=resident.id)
    ]
    return read


@router.post(
    "/v1/estates/{estate_id}/residents",
    status_code=201,
    response_model=ResidentRead,
    summary="Register a resident, optionally with their unit",
)
async def register_resident(
    request: Request,
    estate_id: uuid.UUID,
    data: ResidentCreate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    principal.require_estate(estate_id)

    async def create():
        resident = await people.register_resident(
            session, estate_id, data, principal=principal, id_key=id_key(request)
        )
        return await _read(session, resident)

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/residents",
    response_model=Page[ResidentRead],
    summary="Search residents by phone (full or last digits), name prefix or unit number (by ID number: POST "
    "…/residents/search-by-id-number, so the number stays out of URLs and access logs)",
)
async def search_residents(
    request: Request,
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    phone: str | None = Query(None, min_length=4, max_length=32),
    name: str | None = Query(None, max_length=100),
    unit: str | None = Query(None, max_length=64, description="unit number"),
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    rows = await people.search_residents(session, estate_id, params, phone=phone, name=name, unit_number=unit)
    items, cursor = page_of(rows, params, cursor_of=lambda r: [r.name, str(r.id)])
    return Page(items=await _found(session, items), next_cursor=cursor)


@router.post(
    "/v1/estates/{estate_id}/residents/search-by-id-number",
    response_model=Page[ResidentRead],
    summary="Find residents by ID number, sent in the body (matched through the keyed hash, never stored)",
)
async def search_by_id_number(
    request: Request,
    estate_id: uuid.UUID,
    data: IdNumberSearch,
    session: Session,
    principal: Principal = Depends(STAFF),
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    id_hash = hash_id_number(data.id_number, id_key(request))
    rows = await people.search_residents(session, estate_id, params, id_hash=id_hash)
    items, cursor = page_of(rows, params, cursor_of=lambda r: [r.name, str(r.id)])
    return Page(items=await _found(session, items), next_cursor=cursor)


@router.get(
    "/v1/residents/{resident_id}", response_model=ResidentRead, summary="One resident with their units"
)
async def get_resident(resident_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    resident = await people.get_resident(session, resident_id)
    people.require_visible(principal, resident)
    return await _read(session, resident)


@router.patch(
    "/v1/residents/{resident_id}",
    response_model=ResidentRead,
    summary="Change contact details; every change goes into the archive",
)
async def update_resident(
    request: Request,
    resident_id: uuid.UUID,
    data: ResidentUpdate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    resident = await people.get_resident(session, resident_id)
    principal.require_estate(resident.estate_id)
    await people.update_resident(session, resident, data, principal=principal, id_key=id_key(request))
    return await _read(session, resident)


@router.get(
    "/v1/residents/{resident_id}/history",
    response_model=list[ResidentChangeRead],
    summary="The resident archive (业主档案): who changed what, when, old and new value",
)
async def resident_history(resident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    resident = await people.get_resident(session, resident_id)
    principal.require_estate(resident.estate_id)
    return await people.history(session, resident_id)


@router.post(
    "/v1/units/{unit_id}/occupancies",
    status_code=201,
    response_model=OccupancyRead,
    summary="A resident starts to own, rent or live in a unit",
)
async def start_occupancy(
    unit_id: uuid.UUID, data: OccupancyOfResident, session: Session, principal: Principal = Depends(DESK)
):
    unit = await get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)
    resident = await people.get_resident(session, data.resident_id)
    return await people.start_occupancy(
        session, unit, resident, OccupancyCreate(unit_id=unit_id, role=data.role, started_on=data.started_on)
    )


@router.get(
    "/v1/units/{unit_id}/occupancies",
    response_model=list[OccupancyRead],
    summary="The unit's occupancy history",
)
async def unit_occupancies(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    unit = await get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)
    principal.require_unit(unit.id)
    return await people.occupancies_of(session, unit_id=unit_id)


@router.post(
    "/v1/occupancies/{occupancy_id}/end", response_model=OccupancyRead, summary="Move-out or sale: end it"
)
async def end_occupancy(
    occupancy_id: uuid.UUID, data: OccupancyEnd, session: Session, principal: Principal = Depends(DESK)
):
    return await people.end_occupancy(session, occupancy_id, data.ended_on, principal=principal)
