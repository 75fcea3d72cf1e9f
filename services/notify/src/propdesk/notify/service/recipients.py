"""Recipients projected from intake: residents (contacts, language, units) and staff (department, roles)."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import any_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.cache import TTLCache
from propdesk.common.contracts import intake as ev
from propdesk.notify.models import Recipient, UnitPlace


class Person(NamedTuple):
    """A recipient as fan-out reads them: plain values, safe to share between units of work (a tuple: a
    broadcast reads thousands)."""

    id: uuid.UUID
    estate_id: uuid.UUID
    kind: str
    name: str
    phone: str | None
    email: str | None
    language: str
    active: bool


COLUMNS = (
    Recipient.id,
    Recipient.estate_id,
    Recipient.kind,
    Recipient.name,
    Recipient.phone,
    Recipient.email,
    Recipient.language,
    Recipient.active,
)

# People as fan-out reads them (every notifying event looks its people up by id), cached per process. Every
# change to a recipient comes through this module's subscribers and forgets it once committed; another
# replica's cache catches up within the TTL.
CACHE = TTLCache(ttl=5.0)
_UNSEEN = object()


async def _upsert(session: AsyncSession, values: dict) -> None:
    CACHE.invalidate(session, values["id"])
    stmt = pg_insert(Recipient).values(**values)
    changing = {k: stmt.excluded[k] for k in values if k not in ("id", "units")}
    await session.execute(
        stmt.on_conflict_do_update(index_elements=[Recipient.id], set_={**changing, "updated_at": func.now()})
    )


async def on_resident(session: AsyncSession, event: ev.ResidentSnapshot) -> None:
    await _upsert(
        session,
        {
            "id": event.resident_id,
            "estate_id": event.estate_id,
            "kind": "resident",
            "name": event.name,
            "phone": event.phone,
            "email": event.email,
            "language": event.language,
            "units": [],
            "roles": ["resident"],
        },
    )


async def on_staff(session: AsyncSession, event: ev.StaffSnapshot) -> None:
    await _upsert(
        session,
        {
            "id": event.staff_id,
            "estate_id": event.estate_id,
            "kind": "staff",
            "name": event.name,
            "phone": event.phone,
            "email": None,
            "language": "zh-CN",
            "units": [],
            "department": event.department,
            "roles": event.roles,
            "active": event.active,
        },
    )


async def on_occupancy(session: AsyncSession, event: ev.OccupancySnapshot, *, started: bool) -> None:
    CACHE.invalidate(session, event.resident_id)
    recipient = await session.get(Recipient, event.resident_id, with_for_update=True)
    if recipient is None:  # the resident's own event comes first on the same stream; defensive
        return
    units = [u for u in (recipient.units or []) if u != event.unit_id]
    recipient.units = [*units, event.unit_id] if started else units
    await session.flush()


async def _people(session: AsyncSession, where) -> list[Person]:
    return [Person(*row) for row in await session.execute(select(*COLUMNS).where(where))]


async def get(session: AsyncSession, recipient_id: uuid.UUID) -> Person | None:
    found = await by_ids(session, [recipient_id], active_only=False)
    return found[0] if found else None


async def by_ids(session: AsyncSession, ids: list[uuid.UUID], *, active_only: bool = True) -> list[Person]:
    """The recipients among `ids` (unknown ones, and unless told otherwise inactive ones, left out), each
    once, in order. Each id's cache entry is read once: one that expires while the others load must not
    drop its recipient."""
    wanted = list(dict.fromkeys(ids))
    people: dict[uuid.UUID, Person | None] = {}
    missing = []
    for recipient_id in wanted:
        hit = CACHE.read(session, recipient_id, _UNSEEN)
        if hit is _UNSEEN:
            missing.append(recipient_id)
        else:
            people[recipient_id] = hit
    if missing:
        found = {p.id: p for p in await _people(session, Recipient.id.in_(missing))}
        for recipient_id in missing:  # None: not known (yet)
            people[recipient_id] = CACHE.stage(session, recipient_id, found.get(recipient_id))
    return [p for i in wanted if (p := people[i]) is not None and (p.active or not active_only)]


async def active_by_ids(session: AsyncSession, ids: list[uuid.UUID]) -> list[Person]:
    """Many recipients at once: one query (one array parameter), not the cache."""
    return await _people(session, (Recipient.id == any_(ids)) & Recipient.active.is_(True)) if ids else []


async def residents_of_units(session: AsyncSession, unit_ids: list[uuid.UUID]) -> list[Person]:
    return await _people(
        session,
        (Recipient.kind == "resident") & Recipient.active.is_(True) & Recipient.units.overlap(unit_ids),
    )


async def staff_with(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    roles: list[str] | None = None,
    department: str | None = None,
) -> list[Person]:
    where = (Recipient.estate_id == estate_id) & (Recipient.kind == "staff") & Recipient.active.is_(True)
    if roles:
        where &= Recipient.roles.overlap(roles)
    if department:
        where &= Recipient.department == department
    return await _people(session, where)


async def in_scope(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    recipient_ids: list[uuid.UUID],
    unit_ids: list[uuid.UUID],
    staff_roles: list[str],
    all_residents: bool = False,
) -> list[Person]:
    """The active people of one estate a notice names: everyone living there, by the units they live in, by
    id, by role. One query, whatever their number (a broadcast's thousands)."""
    clauses = []
    if recipient_ids:
        clauses.append(Recipient.id == any_(recipient_ids))
    if all_residents:
        clauses.append((Recipient.kind == "resident") & (func.cardinality(Recipient.units) > 0))
    if unit_ids:
        clauses.append((Recipient.kind == "resident") & Recipient.units.overlap(unit_ids))
    if staff_roles:
        clauses.append((Recipient.kind == "staff") & Recipient.roles.overlap(staff_roles))
    if not clauses:
        return []
    return await _people(
        session, (Recipient.estate_id == estate_id) & Recipient.active.is_(True) & or_(*clauses)
    )


async def on_unit(session: AsyncSession, event: ev.UnitSnapshot) -> None:
    stmt = pg_insert(UnitPlace).values(
        unit_id=event.unit_id, estate_id=event.estate_id, building_id=event.building_id, floor=event.floor
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[UnitPlace.unit_id], set_={"building_id": event.building_id, "floor": event.floor}
        )
    )


async def units_in_scope(
    session: AsyncSession, estate_id: uuid.UUID, *, building_ids: list[uuid.UUID], floors: list[int]
) -> list[uuid.UUID]:
    """Units of the given buildings (optionally only the given floors)."""
    stmt = select(UnitPlace.unit_id).where(
        UnitPlace.estate_id == estate_id, UnitPlace.building_id.in_(building_ids)
    )
    if floors:
        stmt = stmt.where(UnitPlace.floor.in_(floors))
    return list((await session.execute(stmt)).scalars().all())


async def not_of_estate(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    recipient_ids: list[uuid.UUID],
    unit_ids: list[uuid.UUID],
    building_ids: list[uuid.UUID],
) -> list[uuid.UUID]:
    """Which of these people, units or buildings are not the estate's (unknown ones included)."""
    foreign: list[uuid.UUID] = []
    if recipient_ids:
        ours = set(
            (
                await session.execute(
                    select(Recipient.id).where(
                        Recipient.id == any_(recipient_ids), Recipient.estate_id == estate_id
                    )
                )
            ).scalars()
        )
        foreign += [i for i in recipient_ids if i not in ours]
    if unit_ids:
        ours = set(
            (
                await session.execute(
                    select(UnitPlace.unit_id).where(
                        UnitPlace.unit_id == any_(unit_ids), UnitPlace.estate_id == estate_id
                    )
                )
            ).scalars()
        )
        foreign += [i for i in unit_ids if i not in ours]
    if building_ids:
        theirs = set(
            (
                await session.execute(
                    select(UnitPlace.building_id).where(
                        UnitPlace.building_id == any_(building_ids), UnitPlace.estate_id != estate_id
                    )
                )
            ).scalars()
        )
        foreign += [i for i in building_ids if i in theirs]
    return foreign
