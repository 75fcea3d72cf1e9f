"""Automatic dispatch: the required skill (and certificate: elevator work needs the elevator operator's
certificate), on shift now (a weekly shift or an on-call window), the least load, then the nearest (same
building as the technician's home building). Nobody left is an explicit outcome: the caller alerts the
dispatcher."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def loads(session: AsyncSession, estate_id: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(WorkOrder.technician_id, func.count())
        .where(
            WorkOrder.estate_id == estate_id, WorkOrder.state.in_(BUSY), WorkOrder.technician_id.is_not(None)
        )
        .group_by(WorkOrder.technician_id)
    )
    return dict(rows.all())


async def shifts_of(session: AsyncSession, technician_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Shift]]:
    out: dict[uuid.UUID, list[Shift]] = {t: [] for t in technician_ids}
    if technician_ids:
        for s in (
            await session.execute(select(Shift).where(Shift.technician_id.in_(technician_ids)))
        ).scalars():
            out[s.technician_id].append(s)
    return out


async def candidates(
    session: AsyncSession, wo: WorkOrder, now: dt.datetime, tz: str
) -> tuple[list[Candidate], str]:
    """Ranked candidates, and when there are none, why."""
    techs = list(
        (await session.execute(select(Technician).where(Technician.estate_id == wo.estate_id))).scalars()
    )
    skilled = [t for t in techs if qualified(t, wo.category) is None and t.id not in (wo.declined_by or [])]
    if not skilled:
        needed = REQUIRED_CERTIFICATE.get(wo.category)
        return [], f"no active technician with the skill {wo.category}" + (
            f" and a {needed} certificate" if needed else ""
        )
    rota = await shifts_of(session, [t.id for t in skilled])
    working = [t for t in skilled if on_shift(rota[t.id], now, tz)]
    if not working:
        return [], f"no technician with the skill {wo.category} is on shift now"
    load = await loads(session, wo.estate_id)
    ranked = [
        Candidate(t, load.get(t.id, 0), 0 if wo.building_id and t.home_building_id == wo.building_id else 1)
        for t in working
    ]
    ranked.sort(key=lambda c: (c.load, c.distance, c.technician.name, str(c.technician.id)))
    return ranked, ""
