"""Automatic dispatch: the required skill (and certificate: elevator work needs the elevator operator's
certificate), on shift now (a weekly shift or an on-call window), the least load, then the nearest (same
building as the technician's home building). Nobody left is an explicit outcome: the caller alerts the
dispatcher."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import uow
from propdesk.common.cache import TTLCache
from propdesk.common.taxonomy import REQUIRED_CERTIFICATE
from propdesk.common.timeutil import to_local
from propdesk.repairs.models import Shift, Technician, WorkOrder

BUSY = ("assigned", "accepted", "en_route", "on_site", "paused")


@dataclass(frozen=True)
class Candidate:
    technician: TechnicianView
    load: int
    distance: int
    again: int = 0  # 1: did the work this reopened order came back from (tried after the others)


def qualified(tech: Technician | TechnicianView, category: str) -> str | None:
    """None when the technician may do this category of work, else the reason."""
    if not tech.active:
        return "inactive"
    if category not in (tech.skills or []):
        return f"lacks the skill {category}"
    needed = REQUIRED_CERTIFICATE.get(category)
    if needed and not any(needed in c for c in (tech.certificates or [])):
        return f"lacks the {needed} certificate"
    return None


def on_shift(shifts: list[Shift] | list[ShiftView], now: dt.datetime, tz: str) -> bool:
    local = to_local(now, tz)
    t, wd = local.time(), local.weekday()
    for s in shifts:
        if s.kind in ("on_call", "roster") and s.from_at is not None and s.from_at <= now < s.to_at:
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


# The loads dispatch ranks by: counted at most once a second per estate and process, with the assignments
# this process makes added as they commit and any other change to an order through it forgetting the count.
# Counting on every report read every busy order's index entry: with thousands open that was the largest
# part of a report's database time. Another replica's changes show within the second; least load is a
# ranking, not an invariant.
_loads = TTLCache(ttl=1.0)


@dataclass
class _Loads:
    """One unit of work's view of the loads: what it counted or took from the cache, its own assignments, the
    estates whose count its changes made stale. Published to the cache when it commits."""

    base: dict[uuid.UUID, dict[uuid.UUID, int]] = field(default_factory=dict)
    counted: set[uuid.UUID] = field(default_factory=set)  # counted in this unit: the cache gets them
    added: dict[uuid.UUID, dict[uuid.UUID, int]] = field(default_factory=dict)
    stale: set[uuid.UUID] = field(default_factory=set)

    def __copy__(self) -> _Loads:
        return _Loads(
            {e: dict(v) for e, v in self.base.items()},
            set(self.counted),
            {e: dict(v) for e, v in self.added.items()},
            set(self.stale),
        )

    def publish(self) -> None:
        for estate_id in self.stale - self.counted:
            _loads.discard(estate_id)
        for estate_id in self.counted:
            _loads.put(estate_id, self.merged(estate_id))
        for estate_id, added in self.added.items():
            known = _loads.get(estate_id, None) if estate_id not in self.counted | self.stale else None
            if known is not None:
                for technician_id, n in added.items():
                    known[technician_id] = max(0, known.get(technician_id, 0) + n)

    def merged(self, estate_id: uuid.UUID) -> dict[uuid.UUID, int]:
        out = dict(self.base.get(estate_id, {}))
        for technician_id, n in self.added.get(estate_id, {}).items():
            out[technician_id] = max(0, out.get(technician_id, 0) + n)
        return out


def _unit_loads(session: AsyncSession) -> _Loads:
    return uow.local(session, "repairs.loads", _Loads, on_commit=_Loads.publish)


async def ranking_loads(session: AsyncSession, estate_id: uuid.UUID) -> dict[uuid.UUID, int]:
    mine = _unit_loads(session)
    if estate_id not in mine.base:
        shared = None if estate_id in mine.stale else _loads.get(estate_id, None)
        if shared is not None:
            mine.base[estate_id] = dict(shared)
        else:
            await uow.flush(session)  # the count includes this unit's own assignments so far
            mine.base[estate_id] = await loads(session, estate_id)
            mine.counted.add(estate_id)
            mine.added.pop(estate_id, None)
    return mine.merged(estate_id)


def count_assignment(
    session: AsyncSession, estate_id: uuid.UUID, technician_id: uuid.UUID, previous: uuid.UUID | None
) -> None:
    """This unit of work assigned an order (taking it from `previous`, if busy with it)."""
    added = _unit_loads(session).added.setdefault(estate_id, {})
    added[technician_id] = added.get(technician_id, 0) + 1
    if previous is not None:
        added[previous] = added.get(previous, 0) - 1


def forget_loads(session: AsyncSession, estate_id: uuid.UUID) -> None:
    """An order of the estate changed otherwise: count again (in this unit, and after it commits)."""
    mine = _unit_loads(session)
    mine.base.pop(estate_id, None)
    mine.added.pop(estate_id, None)
    mine.counted.discard(estate_id)
    mine.stale.add(estate_id)


async def shifts_of(session: AsyncSession, technician_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Shift]]:
    out: dict[uuid.UUID, list[Shift]] = {t: [] for t in technician_ids}
    if technician_ids:
        for s in (
            await session.execute(select(Shift).where(Shift.technician_id.in_(technician_ids)))
        ).scalars():
            out[s.technician_id].append(s)
    return out


@dataclass(frozen=True)
class TechnicianView:
    """A technician as dispatch ranks them: plain values, safe to share between units of work."""

    id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    skills: tuple[str, ...]
    certificates: tuple[str, ...]
    active: bool
    home_building_id: uuid.UUID | None


@dataclass(frozen=True)
class ShiftView:
    kind: str
    weekday: int | None
    starts: dt.time | None
    ends: dt.time | None
    from_at: dt.datetime | None
    to_at: dt.datetime | None


@dataclass(frozen=True)
class Roster:
    technicians: list[TechnicianView]
    shifts: dict[uuid.UUID, list[ShiftView]]


_rosters = TTLCache(ttl=5.0)  # a change through this process drops an estate's once it commits


def forget_roster(session: AsyncSession, estate_id: uuid.UUID) -> None:
    _rosters.invalidate(session, estate_id)


async def roster(session: AsyncSession, estate_id: uuid.UUID) -> Roster:
    """The estate's technicians and their shifts in one query, cached briefly (read on every report)."""
    return await _rosters.load(session, estate_id, lambda: _load_roster(session, estate_id))


async def _load_roster(session: AsyncSession, estate_id: uuid.UUID) -> Roster:
    rows = await session.execute(
        select(
            Technician.id,
            Technician.estate_id,
            Technician.name,
            Technician.skills,
            Technician.certificates,
            Technician.active,
            Technician.home_building_id,
            Shift.kind,
            Shift.weekday,
            Shift.starts,
            Shift.ends,
            Shift.from_at,
            Shift.to_at,
        )
        .outerjoin(Shift, Shift.technician_id == Technician.id)
        .where(Technician.estate_id == estate_id)
    )
    techs: dict[uuid.UUID, TechnicianView] = {}
    shifts: dict[uuid.UUID, list[ShiftView]] = {}
    for row in rows:
        tech_id = row[0]
        if tech_id not in techs:
            techs[tech_id] = TechnicianView(
                tech_id, row[1], row[2], tuple(row[3] or ()), tuple(row[4] or ()), row[5], row[6]
            )
            shifts[tech_id] = []
        if row[7] is not None:
            shifts[tech_id].append(ShiftView(*row[7:]))
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
        Candidate(
            t,
            load.get(t.id, 0),
            0 if wo.building_id and t.home_building_id == wo.building_id else 1,
            1 if wo.reopen_count and t.id == wo.last_technician_id else 0,
        )
        for t in working
    ]
    ranked.sort(key=lambda c: (c.again, c.load, c.distance, c.technician.name, str(c.technician.id)))
    return ranked, ""
