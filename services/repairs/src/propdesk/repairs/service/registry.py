"""repairs's projections of intake's registry: buildings, units, places (locations) and technicians
(staff with the technician role or the engineering department). Upserts: snapshots are complete."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.cache import TTLCache
from propdesk.common.contracts import intake as ev
from propdesk.repairs.models import Building, Place, Technician, Unit
from propdesk.repairs.service.dispatch import forget_roster

# Locations as reports read them (building, label, unit kind), keyed (estate, unit, place) and cached per
# process; a registry change of an estate through this subscriber forgets the estate's once committed, other
# replicas' within the TTL. A unit's number or building hardly
# ever changes, and a short TTL made every second report of a 400-unit estate at 100/s read its unit again.
LOCATIONS = TTLCache(ttl=60.0)


def _forget_locations(session: AsyncSession, estate_id) -> None:
    LOCATIONS.invalidate_where(session, lambda key: key[0] == estate_id)


async def _upsert(session: AsyncSession, model, values: dict, keep: tuple[str, ...] = ()) -> None:
    stmt = pg_insert(model).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={k: stmt.excluded[k] for k in values if k != "id" and k not in keep}
        )
    )


async def on_building(session: AsyncSession, e: ev.BuildingRegistered) -> None:
    _forget_locations(session, e.estate_id)
    await _upsert(
        session,
        Building,
        {"id": e.building_id, "estate_id": e.estate_id, "code": e.code, "name": e.name, "floors": e.floors},
    )


async def on_unit(session: AsyncSession, e: ev.UnitSnapshot) -> None:
    _forget_locations(session, e.estate_id)
    await _upsert(
        session,
        Unit,
        {
            "id": e.unit_id,
            "estate_id": e.estate_id,
            "building_id": e.building_id,
            "number": e.number,
            "floor": e.floor,
            "kind": e.kind,
        },
    )


async def on_place(session: AsyncSession, e: ev.PlaceRegistered) -> None:
    _forget_locations(session, e.estate_id)
    await _upsert(
        session,
        Place,
        {
            "id": e.place_id,
            "estate_id": e.estate_id,
            "building_id": e.building_id,
            "kind": e.kind,
            "code": e.code,
            "name": e.name,
            "floor": e.floor,
        },
    )


def is_technician(e: ev.StaffSnapshot) -> bool:
    return "technician" in e.roles or e.department == "engineering"


async def on_staff(session: AsyncSession, e: ev.StaffSnapshot) -> None:
    if not is_technician(e) and await session.get(Technician, e.staff_id) is None:
        return
    await _upsert(
        session,
        Technician,
        {
            "id": e.staff_id,
            "estate_id": e.estate_id,
            "name": e.name,
            "phone": e.phone,
            "skills": list(e.skills),
            "certificates": list(e.certificates),
            "active": e.active and is_technician(e),
            "home_building_id": None,
        },
        keep=("home_building_id",),  # repairs' own profile field
    )
    forget_roster(session, e.estate_id)
