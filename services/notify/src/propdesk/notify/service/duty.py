"""intake's duty roster as notify keeps it, and who is on duty now: staff alerts, escalations and emergency
calls go to whoever holds the duty for that role and estate now, then to whoever is on call, then to the
managers. An estate that keeps no roster for a duty (no shift for it in the last week or the next) reaches
everyone holding the role, as before rosters."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.contracts import intake as ev
from propdesk.common.timeutil import utcnow
from propdesk.notify.models import DutyShift
from propdesk.notify.service import recipients as r
from propdesk.notify.service.recipients import Person

DUTY_OF_ROLE = {
    "duty_officer": "duty_officer",
    "receptionist": "front_desk",
    "dispatcher": "dispatcher",
    "technician": "on_call_engineer",
}
ON_CALL = "on_call_engineer"
KEPT = dt.timedelta(days=7)  # a roster with a shift within a week either side is one the estate keeps


async def on_scheduled(session: AsyncSession, event: ev.DutyShiftSnapshot) -> None:
    values = {
        "id": event.shift_id,
        "estate_id": event.estate_id,
        "staff_id": event.staff_id,
        "duty": event.duty,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
    }
    await session.execute(pg_insert(DutyShift).values(values).on_conflict_do_nothing())


async def on_cancelled(session: AsyncSession, event: ev.DutyShiftSnapshot) -> None:
    await session.execute(delete(DutyShift).where(DutyShift.id == event.shift_id))


async def _shifts(
    session: AsyncSession, estate_id: uuid.UUID, duty: str, now: dt.datetime
) -> tuple[bool, list]:
    """(whether the estate keeps a roster for the duty, who is on it now)."""
    rows = (
        await session.execute(
            select(DutyShift.staff_id, DutyShift.starts_at, DutyShift.ends_at).where(
                DutyShift.estate_id == estate_id,
                DutyShift.duty == duty,
                DutyShift.ends_at > now - KEPT,
                DutyShift.starts_at < now + KEPT,
            )
        )
    ).all()
    return bool(rows), [staff for staff, starts, ends in rows if starts <= now < ends]


async def holding(session: AsyncSession, estate_id: uuid.UUID, role: str) -> list[Person]:
    """Who holds the role's duty now: the people on shift (nobody, when the roster has nobody on: routine work
    then waits in the queue); without a roster for the duty, everyone with the role."""
    duty = DUTY_OF_ROLE.get(role)
    kept, now_on = await _shifts(session, estate_id, duty, utcnow()) if duty else (False, [])
    if not kept:
        return await r.staff_with(session, estate_id, roles=[role])
    return await r.by_ids(session, now_on)


async def on_duty(session: AsyncSession, estate_id: uuid.UUID, roles: list[str]) -> list[Person]:
    """For an alert that must reach someone: whoever is on duty now for the roles; if nobody is, whoever is on
    call; if nobody is, the managers."""
    people: list[Person] = []
    for role in roles:
        people += await holding(session, estate_id, role)
    if not people:
        _, on_call = await _shifts(session, estate_id, ON_CALL, utcnow())
        people = await r.by_ids(session, on_call)
    if not people:
        people = await r.staff_with(session, estate_id, roles=["manager"])
    return list({p.id: p for p in people}.values())
