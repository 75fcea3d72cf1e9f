"""billing's projections of intake's registry: units (area and kind drive the fees) and payers (owners and
tenants from occupancies)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import MeterReading, Payer, Resident, Unit
from propdesk.common.contracts import intake as ev


async def on_unit(session: AsyncSession, e: ev.UnitSnapshot) -> None:
    values = {
        "id": e.unit_id,
        "estate_id": e.estate_id,
        "building_id": e.building_id,
        "number": e.number,
        "area_m2": e.area_m2,
        "kind": e.kind,
    }
    stmt = pg_insert(Unit).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"})
    )


async def on_occupancy(session: AsyncSession, e: ev.OccupancySnapshot) -> None:
    if e.role == "household_member":
        return
    values = {
        "occupancy_id": e.occupancy_id,
        "unit_id": e.unit_id,
        "resident_id": e.resident_id,
        "role": e.role,
        "started_on": e.started_on,
        "ended_on": e.ended_on,
    }
    stmt = pg_insert(Payer).values(**values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["occupancy_id"], set_={"ended_on": e.ended_on})
    )


async def on_resident(session: AsyncSession, e: ev.ResidentSnapshot) -> None:
    stmt = pg_insert(Resident).values(id=e.resident_id, estate_id=e.estate_id, name=e.name)
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"name": e.name}))


async def record_readings(session: AsyncSession, unit_id, readings, read_on, source: str) -> int:
    """Meter readings at a handover (the account opens with them) or read for metered fees."""
    rows = [
        {
            "id": uuid.uuid4(),
            "unit_id": unit_id,
            "meter": r.meter,
            "reading": Decimal(str(r.reading)),
            "read_on": read_on,
            "source": source,
        }
        for r in readings
    ]
    if not rows:
        return 0
    stmt = pg_insert(MeterReading).values(rows)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["unit_id", "meter", "read_on"],
            set_={"reading": stmt.excluded.reading, "source": stmt.excluded.source},
        )
    )
    return len(rows)


async def readings(session: AsyncSession, unit_id: uuid.UUID) -> list[MeterReading]:
    """Newest first."""
    rows = await session.execute(
        select(MeterReading)
        .where(MeterReading.unit_id == unit_id)
        .order_by(MeterReading.read_on.desc(), MeterReading.meter)
    )
    return list(rows.scalars())
