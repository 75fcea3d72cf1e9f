from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, MANAGERS, STAFF
from propdesk.intake.schemas import (
    BuildingCreate,
    BuildingRead,
    PlaceCreate,
    PlaceRead,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from propdesk.intake.service import registry

router = APIRouter(tags=["registry"])


@router.post(
    "/v1/estates/{estate_id}/buildings",
    status_code=201,
    response_model=BuildingRead,
    summary="Add a building (楼栋)",
)
async def add_building(
    request: Request,
    estate_id: uuid.UUID,
    data: BuildingCreate,
    session: Session,
    principal: Principal = Depends(MANAGERS),
):
    principal.require_estate(estate_id)

    async def create():
        return BuildingRead.model_validate(await registry.add_building(session, estate_id, data))

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/buildings", response_model=list[BuildingRead], summary="The estate's buildings"
)
async def list_buildings(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return await registry.buildings(session, estate_id)


@router.post(
    "/v1/estates/{estate_id}/units", status_code=201, response_model=UnitRead, summary="Register a unit"
)
async def add_unit(
    request: Request,
    estate_id: uuid.UUID,
    data: UnitCreate,
    session: Session,
    principal: Principal = Depends(MANAGERS),
):
    principal.require_estate(estate_id)

    async def create():
        return UnitRead.model_validate(await registry.add_unit(session, estate_id, data))

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/units", response_model=Page[UnitRead], summary="Units, filtered and paginated"
)
async def list_units(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    building_id: uuid.UUID | None = None,
    floor: int | None = Query(None, ge=-10, le=200),
    state: Literal["vacant", "occupied", "renovating"] | None = None,
    kind: Literal["residential", "shop", "parking"] | None = None,
    number: str | None = Query(None, max_length=64, description="prefix of the unit number"),
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    filters = {"building_id": building_id, "floor": floor, "state": state, "kind": kind}
    items, cursor = await registry.units(session, estate_id, filters=filters, number=number, params=params)
    return Page(items=[UnitRead.model_validate(u) for u in items], next_cursor=cursor)


@router.get("/v1/units/{unit_id}", response_model=UnitRead, summary="One unit (a resident: only their own)")
async def get_unit(unit_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    unit = await registry.get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)
    principal.require_unit(unit.id)
    return unit


@router.patch(
    "/v1/units/{unit_id}", response_model=UnitRead, summary="Change a unit's state, area, kind or entrance"
)
async def update_unit(
    unit_id: uuid.UUID, data: UnitUpdate, session: Session, principal: Principal = Depends(MANAGERS)
):
    unit = await registry.get_unit(session, unit_id)
    principal.require_estate(unit.estate_id)
    return await registry.update_unit(session, unit, data)


@router.post(
    "/v1/estates/{estate_id}/places",
    status_code=201,
    response_model=PlaceRead,
    summary="Add a common area or equipment location",
)
async def add_place(
    request: Request,
    estate_id: uuid.UUID,
    data: PlaceCreate,
    session: Session,
    principal: Principal = Depends(MANAGERS),
):
    principal.require_estate(estate_id)

    async def create():
        return PlaceRead.model_validate(await registry.add_place(session, estate_id, data))

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/places",
    response_model=list[PlaceRead],
    summary="Common areas and equipment locations (residents of the estate may see them)",
)
async def list_places(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    kind: str | None = None,
    building_id: uuid.UUID | None = None,
):
    principal.require_estate(estate_id)
    return await registry.places(session, estate_id, kind=kind, building_id=building_id)
