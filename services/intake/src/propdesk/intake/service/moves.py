"""Move-in (入住交付) and move-out: the handover checklist, keys and meter readings. A move-in starts the
occupancy (billing finds its payer there) and sends `intake.move_in.completed` with the readings (billing
opens the account; notify sends the welcome notice); a move-out ends it with the final readings."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.auth import Principal
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.intake.errors import ResidentNotFound, WrongEstate
from propdesk.intake.models import MoveIn, Resident, Unit
from propdesk.intake.schemas import MoveInCreate, MoveOutCreate, OccupancyCreate, Reading
from propdesk.intake.service import people
from propdesk.intake.service.activity import actor_of, log


def _readings(readings: list[Reading]) -> list[dict]:
    return [r.model_dump(mode="json") for r in readings]


def _ref(move: MoveIn, unit: Unit, resident: Resident) -> dict:
    return {
        "move_in_id": move.id,
        "estate_id": move.estate_id,
        "unit_id": move.unit_id,
        "unit_number": unit.number,
        "resident_id": move.resident_id,
        "resident_name": resident.name,
        "role": move.role,
        "occupancy_id": move.occupancy_id,
    }


async def move_in(session: AsyncSession, unit: Unit, data: MoveInCreate, *, principal: Principal) -> MoveIn:
    resident = await session.get(Resident, data.resident_id)
    if resident is None:
        raise ResidentNotFound(f"resident {data.resident_id} not found")
    if resident.estate_id != unit.estate_id:
        raise WrongEstate("the resident belongs to another estate")
    if unit.kind == "parking":
        raise InvalidInput(Text("车位不办理入住交付", "Parking spaces have no move-in handover"))
    occupancy = await people.start_occupancy(
        session,
        unit,
        resident,
        OccupancyCreate(unit_id=unit.id, role=data.role, started_on=data.handed_over_on),
    )
    move = MoveIn(
        estate_id=unit.estate_id,
        unit_id=unit.id,
        resident_id=resident.id,
        occupancy_id=occupancy.id,
        role=data.role,
        state="moved_in",
        handed_over_on=data.handed_over_on,
        checklist=[c.model_dump(mode="json") for c in data.checklist],
        keys=[k.model_dump(mode="json") for k in data.keys],
        meter_readings=_readings(data.meter_readings),
        handled_by=actor_of(principal),
        move_out_readings=[],
    )
    session.add(move)
    await session.flush()
    failed = [c.item for c in data.checklist if not c.ok]
    log(session, "move_in", move.id, "handed_over", move.handled_by, None, failed_items=failed)
    outbox.record(
        session,
        ev.MoveInCompleted(
            **_ref(move, unit, resident),
            handed_over_on=move.handed_over_on,
            meter_readings=[ev.MeterReading(**r) for r in move.meter_readings],
            keys=sum(k.count for k in data.keys),
        ),
        aggregate_id=unit.id,
        estate_id=unit.estate_id,
    )
    return move


async def move_out(
    session: AsyncSession, move: MoveIn, data: MoveOutCreate, *, principal: Principal
) -> MoveIn:
    if move.state != "moved_in":
        raise IllegalTransition(
            Text("该住户已办理退房", "This move-in has already been moved out"),
            state=move.state,
            action="move_out",
        )
    if data.moved_out_on < move.handed_over_on:
        raise InvalidInput(Text("退房日期早于交付日期", "moved_out_on is before the handover"))
    before = {r["meter"]: float(r["reading"]) for r in move.meter_readings}
    backwards = [
        r.meter for r in data.meter_readings if r.meter in before and float(r.reading) < before[r.meter]
    ]
    if backwards:
        raise InvalidInput(
            Text(
                f"表读数小于入住时读数：{', '.join(backwards)}",
                f"readings below the move-in readings: {backwards}",
            )
        )
    await people.end_occupancy(session, move.occupancy_id, data.moved_out_on)
    move.state, move.moved_out_on = "moved_out", data.moved_out_on
    move.move_out_readings, move.keys_returned = _readings(data.meter_readings), data.keys_returned
    log(
        session,
        "move_in",
        move.id,
        "moved_out",
        actor_of(principal),
        data.note,
        keys_returned=data.keys_returned,
    )
    await session.flush()
    unit, resident = await session.get(Unit, move.unit_id), await session.get(Resident, move.resident_id)
    outbox.record(
        session,
        ev.MoveOutCompleted(
            **_ref(move, unit, resident),
            moved_out_on=data.moved_out_on,
            meter_readings=[ev.MeterReading(**r) for r in move.move_out_readings],
        ),
        aggregate_id=unit.id,
        estate_id=unit.estate_id,
    )
    return move


async def get(session: AsyncSession, move_in_id: uuid.UUID, *, lock: bool = False) -> MoveIn | None:
    return await session.get(MoveIn, move_in_id, with_for_update=lock)


async def of_unit(session: AsyncSession, unit_id: uuid.UUID) -> list[MoveIn]:
    rows = await session.execute(
        select(MoveIn).where(MoveIn.unit_id == unit_id).order_by(MoveIn.handed_over_on)
    )
    return list(rows.scalars())
