"""Automatic dispatch: the required skill (and certificate: elevator work needs the elevator operator's
certificate), on shift now (a weekly shift or an on-call window), the least load, then the nearest (same
building as the technician's home building). Nobody left is an explicit outcome: the caller alerts the
dispatcher."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.cache import TTLCache
from propdesk.common.timeutil import to_local
from propdesk.repairs.models import Shift, Technician, WorkOrder
from propdesk.repairs.service.taxonomy import REQUIRED_CERTIFICATE

BUSY = ("assigned", "accepted", "en_route", "on_site", "paused")


@dataclass(frozen=True)
class Candidate:
    technician: Technician
    load: int
    distance: int


def qualified(tech: Technician, category: str) -> str | None:
    """None when the technician may do this category of work, else the reason."""
    if not tech.active:
        return "inactive"
    if category not in (tech.skills or []):
        return f"lacks the skill {category}"
    needed = REQUIRED_CERTIFICATE.get(category)
    if needed and not any(needed in c for c in (tech.certificates or [])):
        return f"lacks the {needed} certificate"
    return None


def on_shift(shifts: list[Shift], now: dt.datetime, tz: str) -> bool:
    local = to_local(now, tz)
    t, wd = local.time(), local.weekday()
    for s in shifts:
        if s.kind == "on_call" and s.from_at is not None and s.from_at <= now < s.to_at:
            return True
        if s.kind == "weekly" and s.starts is not None:
            if s.starts < s.ends:
                if s.weekday == wd and s.starts <= t < s.ends:
                    return True
            elif (s.weekday == wd and t >= s.starts) or (s.weekday == (wd - 1) % 7 and t < s.ends):
                return True  # an overnight shift
    return False


LOADS = text(  # the states as literals, so that even a generic plan uses the partial index
    "SELECT technician_id, count(*) FROM repairs.work_order WHERE estate_id = :estate AND technician_id IS NOT NULL "
    f"AND state IN ({', '.join(repr(s) for s in BUSY)}) GROUP BY technician_id"
)


async def loads(session: AsyncSession, estate_id: uuid.UUID) -> dict[uuid.UUID, int]:
    """Each technician's busy orders (ix_work_order_busy_load, index only)."""
    return dict((await session.execute(LOADS, {"estate": estate_id})).all())


# The loads dispatch ranks by: counted at most once a second per estate and process, with this process's own
# assignments added as it makes them and any other change to an order through it forgetting the count.
# Counting on every report read every busy order's index entry: with thousands open that was the largest
# part of a report's database time. Another replica's changes show within the second; least load is a
# ranking, not an invariant.
_loads = TTLCache(ttl=1.0)


async def ranking_loads(session: AsyncSession, estate_id: uuid.UUID) -> dict[uuid.UUID, int]:
    return await _loads.get_or_load(estate_id, lambda: loads(session, estate_id))


def count_assignment(estate_id: uuid.UUID, technician_id: uuid.UUID, previous: uuid.UUID | None) -> None:
    known = _loads.get(estate_id, None)
    if known is not None:
        known[technician_id] = known.get(technician_id, 0) + 1
        if previous is not None and known.get(previous, 0) > 0:
            known[previous] -= 1


def forget_loads(estate_id: uuid.UUID) -> None:
    _loads.discard(estate_id)


async def shifts_of(session: AsyncSession, technician_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Shift]]:
    out: dict[uuid.UUID, list[Shift]] = {t: [] for t in technician_ids}
    if technician_ids:
        for s in (
            await session.execute(select(Shift).where(Shift.technician_id.in_(technician_ids)))
        ).scalars():
            out[s.technician_id].append(s)
    return out


@dataclass(frozen=True)
class Roster:
    technicians: list[Technician]
    shifts: dict[uuid.UUID, list[Shift]]


_rosters = TTLCache(ttl=5.0)  # a change through this process drops an estate's at once


def forget_roster(estate_id: uuid.UUID) -> None:
    _rosters.discard(estate_id)


async def roster(session: AsyncSession, estate_id: uuid.UUID) -> Roster:
    """The estate's technicians and their shifts in one query, cached briefly (read on every report)."""
    return await _rosters.get_or_load(estate_id, lambda: _load_roster(session, estate_id))


async def _load_roster(session: AsyncSession, estate_id: uuid.UUID) -> Roster:
    rows = (
        await session.execute(
            select(Technician, Shift)
            .outerjoin(Shift, Shift.technician_id == Technician.id)
            .where(Technician.estate_id == estate_id)
            .execution_options(populate_existing=True)
        )
    ).all()
    techs: dict[uuid.UUID, Technician] = {}
    shifts: dict[uuid.UUID, list[Shift]] = {}
    for tech, shift in rows:
        techs.setdefault(tech.id, tech)
        shifts.setdefault(tech.id, [])
        if shift is not None:
            shifts[tech.id].append(shift)
    for obj in [*techs.values(), *(s for v in shifts.values() for s in v)]:
        session.expunge(obj)  # plain values from here on: safe to share between requests
    return Roster(list(techs.values()), shifts)


async def candidates(
    session: AsyncSession, wo: WorkOrder, now: dt.datetime, tz: str
) -> tuple[list[Candidate], str]:
    """Ranked candidates, and when there are none, why."""
    team = await roster(session, wo.estate_id)
    skilled = [
        t
        for t in team.technicians
        if qualified(t, wo.category) is None and t.id not in (wo.declined_by or [])
    ]
    if not skilled:
        needed = REQUIRED_CERTIFICATE.get(wo.category)
        return [], f"no active technician with the skill {wo.category}" + (
            f" and a {needed} certificate" if needed else ""
        )
    working = [t for t in skilled if on_shift(team.shifts.get(t.id, []), now, tz)]
    if not working:
        return [], f"no technician with the skill {wo.category} is on shift now"
    load = await ranking_loads(session, wo.estate_id)
    ranked = [
        Candidate(t, load.get(t.id, 0), 0 if wo.building_id and t.home_building_id == wo.building_id else 1)
        for t in working
    ]
    ranked.sort(key=lambda c: (c.load, c.distance, c.technician.name, str(c.technician.id)))
    return ranked, ""
