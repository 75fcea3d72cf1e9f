"""Buildings, units and places (common areas, equipment locations): the estate's geography."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import BuildingRegistered, PlaceRegistered, UnitRegistered, UnitUpdated
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.intake.errors import DuplicateCode, UnitNotFound, WrongEstate
from propdesk.intake.models import Building, Place, Unit
from propdesk.intake.schemas import BuildingCreate, PlaceCreate, UnitCreate, UnitUpdate
from propdesk.intake.service.estates import get_estate


def building_event(b: Building) -> BuildingRegistered:
    return BuildingRegistered(
        building_id=b.id,
        estate_id=b.estate_id,
        code=b.code,
        name=b.name,
        floors=b.floors,
        elevators=b.elevators,
    )


def unit_fields(u: Unit) -> dict:
    return {
        "unit_id": u.id,
        "estate_id": u.estate_id,
        "building_id": u.building_id,
        "entrance": u.entrance,
        "number": u.number,
        "floor": u.floor,
        "area_m2": f"{u.area_m2:.2f}",
        "kind": u.kind,
        "state": u.state,
    }


def place_event(p: Place) -> PlaceRegistered:
    return PlaceRegistered(
        place_id=p.id,
        estate_id=p.estate_id,
        building_id=p.building_id,
        kind=p.kind,
        code=p.code,
        name=p.name,
        floor=p.floor,
    )


async def _taken(session: AsyncSession, model, estate_id: uuid.UUID, **where) -> bool:
    stmt = select(model.id).where(
        model.estate_id == estate_id, *(getattr(model, k) == v for k, v in where.items())
    )
    return (await session.execute(stmt)).first() is not None


async def add_building(session: AsyncSession, estate_id: uuid.UUID, data: BuildingCreate) -> Building:
    await get_estate(session, estate_id)
    if await _taken(session, Building, estate_id, code=data.code):
        raise DuplicateCode(f"building {data.code} already exists")
    building = Building(estate_id=estate_id, **data.model_dump())
    session.add(building)
    await session.flush()
    outbox.record(session, building_event(building), aggregate_id=building.id, estate_id=estate_id)
    return building


async def add_unit(session: AsyncSession, estate_id: uuid.UUID, data: UnitCreate) -> Unit:
    building = await session.get(Building, data.building_id)
    if building is None or building.estate_id != estate_id:
        raise WrongEstate(f"building {data.building_id} is not a building of this estate")
    if data.floor > building.floors:
        raise WrongEstate(
            f"building {building.code} has {building.floors} floors; floor {data.floor} is not one"
        )
    if await _taken(session, Unit, estate_id, number=data.number):
        raise DuplicateCode(f"unit {data.number} already exists")
    unit = Unit(estate_id=estate_id, **data.model_dump())
    session.add(unit)
    await session.flush()
    outbox.record(session, UnitRegistered(**unit_fields(unit)), aggregate_id=unit.id, estate_id=estate_id)
    return unit


async def get_unit(session: AsyncSession, unit_id: uuid.UUID) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise UnitNotFound(f"unit {unit_id} not found")
    return unit


async def update_unit(session: AsyncSession, unit: Unit, data: UnitUpdate) -> Unit:
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if getattr(unit, k) != v}
    if not changes:
        return unit
    for key, value in changes.items():
        setattr(unit, key, value)
    await session.flush()
    outbox.record(session, UnitUpdated(**unit_fields(unit)), aggregate_id=unit.id, estate_id=unit.estate_id)
    return unit


async def set_unit_state(session: AsyncSession, unit: Unit, state: str) -> None:
    if unit.state != state:
        unit.state = state
        await session.flush()
        outbox.record(
            session, UnitUpdated(**unit_fields(unit)), aggregate_id=unit.id, estate_id=unit.estate_id
        )


async def add_place(session: AsyncSession, estate_id: uuid.UUID, data: PlaceCreate) -> Place:
    await get_estate(session, estate_id)
    if data.building_id is not None:
        building = await session.get(Building, data.building_id)
        if building is None or building.estate_id != estate_id:
            raise WrongEstate(f"building {data.building_id} is not a building of this estate")
    if await _taken(session, Place, estate_id, code=data.code):
        raise DuplicateCode(f"place {data.code} already exists")
    place = Place(estate_id=estate_id, **data.model_dump())
    session.add(place)
    await session.flush()
    outbox.record(session, place_event(place), aggregate_id=place.id, estate_id=estate_id)
    return place


async def buildings(session: AsyncSession, estate_id: uuid.UUID) -> list[Building]:
    rows = await session.execute(
        select(Building).where(Building.estate_id == estate_id).order_by(Building.code)
    )
    return list(rows.scalars())


async def units(
    session: AsyncSession, estate_id: uuid.UUID, *, filters: dict, number: str | None, params: PageParams
) -> tuple[list[Unit], str | None]:
    """By number; `number` is a prefix."""
    stmt = select(Unit).where(Unit.estate_id == estate_id)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Unit, column) == value)
    if number:
        stmt = stmt.where(Unit.number.startswith(number, autoescape=True))
    return await fetch_page(session, stmt, params, key=Unit.number, tiebreak=Unit.id, descending=False)


async def places(
    session: AsyncSession, estate_id: uuid.UUID, *, kind: str | None, building_id: uuid.UUID | None
) -> list[Place]:
    stmt = select(Place).where(Place.estate_id == estate_id).order_by(Place.code)
    if kind:
        stmt = stmt.where(Place.kind == kind)
    if building_id:
        stmt = stmt.where(Place.building_id == building_id)
    return list((await session.execute(stmt)).scalars())
