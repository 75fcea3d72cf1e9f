"""Re-publish the whole registry as snapshot events, so a new consumer can build its projection.
Consumers treat registered/updated snapshots as upserts, so a re-publish changes nothing they had right."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import (
    EstateRegistered,
    OccupancyEnded,
    OccupancyStarted,
    ResidentRegistered,
    StaffRegistered,
    UnitRegistered,
)
from propdesk.intake.models import Building, Estate, Occupancy, Place, Resident, Staff, Unit
from propdesk.intake.service.people import occupancy_fields, resident_fields
from propdesk.intake.service.registry import building_event, place_event, unit_fields
from propdesk.intake.service.staff import staff_fields

BATCH = 5000


async def _each(session: AsyncSession, model):
    result = await session.stream_scalars(select(model).order_by(model.id).execution_options(yield_per=BATCH))
    async for partition in result.partitions(BATCH):
        yield partition


async def republish(session: AsyncSession) -> int:
    total = 0
    estates = (await session.execute(select(Estate))).scalars().all()
    total += outbox.record_many(
        session,
        [
            (
                EstateRegistered(
                    estate_id=e.id,
                    code=e.code,
                    name=e.name,
                    name_en=e.name_en,
                    timezone=e.timezone,
                    address=e.address,
                ),
                e.id,
            )
            for e in estates
        ],
    )
    converters = (
        (Building, lambda b: (building_event(b), b.id)),
        (Unit, lambda u: (UnitRegistered(**unit_fields(u)), u.id)),
        (Place, lambda p: (place_event(p), p.id)),
        (Resident, lambda r: (ResidentRegistered(**resident_fields(r)), r.id)),
        (
            Occupancy,
            lambda o: (
                (OccupancyEnded if o.ended_on else OccupancyStarted)(**occupancy_fields(o)),
                o.unit_id,
            ),
        ),
        (Staff, lambda s: (StaffRegistered(**staff_fields(s)), s.id)),
    )
    for model, convert in converters:
        async for rows in _each(session, model):
            total += outbox.record_many(session, [convert(row) for row in rows])
    return total
