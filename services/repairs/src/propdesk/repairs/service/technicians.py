"""Technicians as repairs keeps them: skills and certificates (from intake's staff), their rota (weekly shifts
and on-call windows) and home building, their load and whether they are on shift now."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal
from propdesk.common.contracts.intake import DutyShiftSnapshot
from propdesk.common.timeutil import utcnow
from propdesk.repairs.errors import LocationNotFound, TechnicianNotFound
from propdesk.repairs.models import Building, Shift, Technician
from propdesk.repairs.schemas import OnCall, Rota, TechnicianRead, WeeklyShift
from propdesk.repairs.service import dispatch, estates


def _rota(shifts: list[Shift]) -> Rota:
    return Rota(
        weekly=[
            WeeklyShift(weekday=s.weekday, starts=s.starts, ends=s.ends) for s in shifts if s.kind == "weekly"
        ],
        on_call=[OnCall(from_at=s.from_at, to_at=s.to_at) for s in shifts if s.kind in ("on_call", "roster")],
    )


async def read(session: AsyncSession, techs: list[Technician]) -> list[TechnicianRead]:
    if not techs:
        return []
    estate_id = techs[0].estate_id
    tz, load = await estates.timezone_of(session, estate_id), await dispatch.loads(session, estate_id)
    rota, now = await dispatch.shifts_of(session, [t.id for t in techs]), utcnow()
    return [
        TechnicianRead.model_validate(t).model_copy(
            update={
                "load": load.get(t.id, 0),
                "on_shift": dispatch.on_shift(rota[t.id], now, tz),
                "rota": _rota(rota[t.id]),
            }
        )
        for t in techs
    ]


async def of_estate(session: AsyncSession, estate_id: uuid.UUID) -> list[TechnicianRead]:
    await estates.require_estate(session, estate_id)
    techs = (
        await session.execute(
            select(Technician).where(Technician.estate_id == estate_id).order_by(Technician.name)
        )
    ).scalars()
    return await read(session, list(techs))


async def get(session: AsyncSession, technician_id: uuid.UUID, principal: Principal) -> Technician:
    tech = await session.get(Technician, technician_id)
    if tech is None:
        raise TechnicianNotFound(f"technician {technician_id} not known to repairs")
    principal.require_estate(tech.estate_id)
    return tech


async def set_rota(session: AsyncSession, tech: Technician, rota: Rota) -> TechnicianRead:
    """Replace the weekly shifts and the on-call windows kept here; on-call shifts on intake's duty roster
    (kind `roster`) stay: they change there."""
    await session.execute(delete(Shift).where(Shift.technician_id == tech.id, Shift.kind != "roster"))
    session.add_all(
        [
            Shift(technician_id=tech.id, kind="weekly", weekday=w.weekday, starts=w.starts, ends=w.ends)
            for w in rota.weekly
        ]
        + [
            Shift(technician_id=tech.id, kind="on_call", from_at=o.from_at, to_at=o.to_at)
            for o in rota.on_call
        ]
    )
    await session.flush()
    dispatch.forget_roster(session, tech.estate_id)
    return (await read(session, [tech]))[0]


async def set_home(
    session: AsyncSession, tech: Technician, home_building_id: uuid.UUID | None
) -> TechnicianRead:
    if home_building_id is not None:
        b = await session.get(Building, home_building_id)
        if b is None or b.estate_id != tech.estate_id:
            raise LocationNotFound(f"building {home_building_id} is not known in this estate")
    tech.home_building_id = home_building_id
    await session.flush()
    dispatch.forget_roster(session, tech.estate_id)
    return (await read(session, [tech]))[0]


async def on_roster_shift(session: AsyncSession, event: DutyShiftSnapshot, *, scheduled: bool) -> None:
    """intake's duty roster is the one roster: an on-call engineer's shift there is an on-call window here
    (dispatch counts the technician as on shift), under the roster shift's id; other duties are not repairs'."""
    if event.duty != "on_call_engineer":
        return
    await session.execute(delete(Shift).where(Shift.id == event.shift_id))
    if scheduled and await session.get(Technician, event.staff_id) is not None:
        session.add(
            Shift(
                id=event.shift_id,
                technician_id=event.staff_id,
                kind="roster",
                from_at=event.starts_at,
                to_at=event.ends_at,
            )
        )
    await session.flush()
    dispatch.forget_roster(session, event.estate_id)
