"""Residents, their occupancy of units, and the resident archive (业主档案) that keeps every change."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.auth import Principal
from propdesk.common.contracts.intake import (
    OccupancyEnded,
    OccupancyStarted,
    ResidentRegistered,
    ResidentUpdated,
)
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, paginate
from propdesk.common.search import prefix_match
from propdesk.intake.errors import AlreadyOccupying, OccupancyNotFound, ResidentNotFound, WrongEstate
from propdesk.intake.errors import OccupancyEnded as OccupancyAlreadyEnded
from propdesk.intake.models import Occupancy, Resident, ResidentChange, Unit
from propdesk.intake.schemas import OccupancyCreate, ResidentCreate, ResidentUpdate
from propdesk.intake.service.registry import get_unit, set_unit_state
from propdesk.intake.validation import hash_id_number, mask_id_number, phone_for_search

ARCHIVED_FIELDS = ("name", "phone", "email", "language", "id_number_masked")


def resident_fields(r: Resident) -> dict:
    return {
        "resident_id": r.id,
        "estate_id": r.estate_id,
        "name": r.name,
        "phone": r.phone,
        "email": r.email,
        "language": r.language,
    }


def occupancy_fields(o: Occupancy) -> dict:
    return {
        "occupancy_id": o.id,
        "estate_id": o.estate_id,
        "unit_id": o.unit_id,
        "resident_id": o.resident_id,
        "role": o.role,
        "started_on": o.started_on,
        "ended_on": o.ended_on,
    }


def actor_name(principal: Principal) -> str:
    return f"{principal.name or principal.sub}"


async def register_resident(
    session: AsyncSession, estate_id: uuid.UUID, data: ResidentCreate, *, principal: Principal, id_key: str
) -> Resident:
    resident = Resident(
        estate_id=estate_id, name=data.name, phone=data.phone, email=data.email, language=data.language
    )
    if data.id_number:
        resident.id_number_masked = mask_id_number(data.id_number)
        resident.id_number_hash = hash_id_number(data.id_number, id_key)
    session.add(resident)
    await session.flush()
    session.add(
        ResidentChange(
            resident_id=resident.id,
            field="created",
            old_value=None,
            new_value=resident.name,
            actor=actor_name(principal),
        )
    )
    outbox.record(
        session,
        ResidentRegistered(**resident_fields(resident)),
        aggregate_id=resident.id,
        estate_id=estate_id,
    )
    if data.occupancy is not None:
        await start_occupancy(
            session, await get_unit(session, data.occupancy.unit_id), resident, data.occupancy
        )
    return resident


async def get_resident(session: AsyncSession, resident_id: uuid.UUID) -> Resident:
    resident = await session.get(Resident, resident_id)
    if resident is None:
        raise ResidentNotFound(f"resident {resident_id} not found")
    return resident


def require_visible(principal: Principal, resident: Resident) -> None:
    """Staff of the estate see residents; a resident sees only themselves."""
    principal.require_estate(resident.estate_id)
    if principal.is_resident_only and principal.sub != str(resident.id):
        raise Forbidden(Text("只能查看本人的档案", "You can only see your own record"))


async def update_resident(
    session: AsyncSession, resident: Resident, data: ResidentUpdate, *, principal: Principal, id_key: str
) -> Resident:
    values = data.model_dump(exclude_unset=True)
    if "id_number" in values:
        number = values.pop("id_number")
        values["id_number_masked"] = mask_id_number(number) if number else None
        resident.id_number_hash = hash_id_number(number, id_key) if number else None
    changed = False
    for key, value in values.items():
        old = getattr(resident, key)
        if old != value:
            session.add(
                ResidentChange(
                    resident_id=resident.id,
                    field=key,
                    old_value=_text(old),
                    new_value=_text(value),
                    actor=actor_name(principal),
                )
            )
            setattr(resident, key, value)
            changed = True
    if changed:
        await session.flush()
        outbox.record(
            session,
            ResidentUpdated(**resident_fields(resident)),
            aggregate_id=resident.id,
            estate_id=resident.estate_id,
        )
    return resident


def _text(value: object) -> str | None:
    return None if value is None else str(value)


async def history(session: AsyncSession, resident_id: uuid.UUID) -> list[ResidentChange]:
    rows = await session.execute(
        select(ResidentChange).where(ResidentChange.resident_id == resident_id).order_by(ResidentChange.id)
    )
    return list(rows.scalars().all())


async def occupancies_of(
    session: AsyncSession, *, resident_id: uuid.UUID | None = None, unit_id: uuid.UUID | None = None
) -> list[Occupancy]:
    stmt = select(Occupancy).order_by(Occupancy.started_on, Occupancy.id)
    stmt = (
        stmt.where(Occupancy.resident_id == resident_id)
        if resident_id
        else stmt.where(Occupancy.unit_id == unit_id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def current_units(session: AsyncSession, resident_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """Each resident's current occupancies with the unit's number, in one query (a search result shows where
    the caller lives)."""
    rows = await session.execute(
        select(Occupancy, Unit.number)
        .join(Unit, Unit.id == Occupancy.unit_id)
        .where(Occupancy.resident_id.in_(resident_ids), Occupancy.ended_on.is_(None))
        .order_by(Occupancy.started_on, Occupancy.id)
    )
    out: dict[uuid.UUID, list[dict]] = {}
    for occupancy, number in rows.all():
        out.setdefault(occupancy.resident_id, []).append(
            {
                "id": occupancy.id,
                "unit_id": occupancy.unit_id,
                "unit_number": number,
                "resident_id": occupancy.resident_id,
                "role": occupancy.role,
                "started_on": occupancy.started_on,
                "ended_on": occupancy.ended_on,
            }
        )
    return out


async def start_occupancy(
    session: AsyncSession, unit: Unit, resident: Resident, data: OccupancyCreate
) -> Occupancy:
    if unit.estate_id != resident.estate_id:
        raise WrongEstate("the unit and the resident belong to different estates")
    active = await session.execute(
        select(Occupancy.id).where(
            Occupancy.unit_id == unit.id,
            Occupancy.resident_id == resident.id,
            Occupancy.role == data.role,
            Occupancy.ended_on.is_(None),
        )
    )
    if active.first() is not None:
        raise AlreadyOccupying(f"resident already is {data.role} of unit {unit.number}")
    occupancy = Occupancy(
        estate_id=unit.estate_id,
        unit_id=unit.id,
        resident_id=resident.id,
        role=data.role,
        started_on=data.started_on,
    )
    session.add(occupancy)
    await session.flush()
    outbox.record(
        session,
        OccupancyStarted(**occupancy_fields(occupancy)),
        aggregate_id=unit.id,
        estate_id=unit.estate_id,
    )
    if unit.state == "vacant" and data.role in ("owner", "tenant"):
        await set_unit_state(session, unit, "occupied")
    return occupancy


async def end_occupancy(
    session: AsyncSession, occupancy_id: uuid.UUID, ended_on: dt.date, *, principal: Principal | None = None
) -> Occupancy:
    occupancy = await session.get(Occupancy, occupancy_id, with_for_update=True)
    if occupancy is None:
        raise OccupancyNotFound(f"occupancy {occupancy_id} not found")
    if principal is not None:
        principal.require_estate(occupancy.estate_id)
    if occupancy.ended_on is not None:
        raise OccupancyAlreadyEnded(f"occupancy ended on {occupancy.ended_on}")
    if ended_on < occupancy.started_on:
        raise WrongEstate(Text("结束日期早于开始日期", "ended_on is before started_on"))
    occupancy.ended_on = ended_on
    await session.flush()
    outbox.record(
        session,
        OccupancyEnded(**occupancy_fields(occupancy)),
        aggregate_id=occupancy.unit_id,
        estate_id=occupancy.estate_id,
    )
    still = await session.execute(
        select(
            exists().where(
                Occupancy.unit_id == occupancy.unit_id,
                Occupancy.ended_on.is_(None),
                Occupancy.role.in_(["owner", "tenant"]),
            )
        )
    )
    if not still.scalar():
        unit = await get_unit(session, occupancy.unit_id)
        if unit.state == "occupied":
            await set_unit_state(session, unit, "vacant")
    return occupancy


async def search_residents(
    session: AsyncSession,
    estate_id: uuid.UUID,
    params: PageParams,
    *,
    phone: str | None = None,
    name: str | None = None,
    unit_number: str | None = None,
    id_hash: str | None = None,
) -> list[Resident]:
    stmt = select(Resident).where(Resident.estate_id == estate_id)
    if phone:
        term = phone_for_search(phone)
        if term.startswith("+"):
            stmt = stmt.where(Resident.phone == term)
        else:  # the last digits, as callers give them: a prefix of the reversed number, indexed
            stmt = stmt.where(prefix_match(Resident.phone_reversed, term[::-1]))
    if name:
        stmt = stmt.where(prefix_match(Resident.name, name))
    if unit_number:
        stmt = stmt.where(
            Resident.id.in_(
                select(Occupancy.resident_id)
                .join(Unit, Unit.id == Occupancy.unit_id)
                .where(Unit.estate_id == estate_id, Unit.number == unit_number, Occupancy.ended_on.is_(None))
            )
        )
    if id_hash:
        stmt = stmt.where(Resident.id_number_hash == id_hash)
    stmt = paginate(stmt, params, key=Resident.name, tiebreak=Resident.id, descending=False)
    return list((await session.execute(stmt)).scalars().all())
