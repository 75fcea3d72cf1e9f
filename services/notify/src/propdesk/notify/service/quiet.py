"""Quiet hours: non-urgent SMS and e-mail wait until they end (estate time)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.cache import TTLCache
from propdesk.common.timeutil import to_local, zone
from propdesk.notify.models import QuietHours, estate

DEFAULTS = [
    # starts, ends (estate time), applies to
    (dt.time(22, 0), dt.time(7, 0), "non_critical"),
]
CACHE = TTLCache(ttl=5.0)  # per estate, read by every message; forgotten when changed here (once committed)


def defaults(estate_id: uuid.UUID, timezone: str) -> list[QuietHours]:
    return [
        QuietHours(
            estate_id=estate_id,
            **dict(zip(("starts", "ends", "applies_to"), row, strict=True)),
            timezone=timezone,
        )
        for row in DEFAULTS
    ]


async def quiet_until(
    session: AsyncSession, estate_id: uuid.UUID | None, now: dt.datetime
) -> dt.datetime | None:
    """When quiet hours end, if `now` is inside them (estate time); else None."""
    if estate_id is None:
        return None

    async def load():
        row = (
            await session.execute(
                select(QuietHours.starts, QuietHours.ends, QuietHours.timezone).where(
                    QuietHours.estate_id == estate_id, QuietHours.applies_to == "non_critical"
                )
            )
        ).first()
        return None if row is None else tuple(row)

    q = await CACHE.load(session, estate_id, load)
    if q is None:
        return None
    starts, ends, timezone = q
    local = to_local(now, timezone)
    t = local.timetz().replace(tzinfo=None)
    inside = (starts <= t or t < ends) if starts > ends else (starts <= t < ends)
    if not inside:
        return None
    end = dt.datetime.combine(local.date(), ends, zone(timezone))
    return (end if end > local else end + dt.timedelta(days=1)).astimezone(dt.UTC)


async def of_estate(session: AsyncSession, estate_id: uuid.UUID) -> list[QuietHours]:
    await projections.require_known_estate(session, estate, estate_id, "notify")
    rows = await session.execute(
        select(QuietHours).where(QuietHours.estate_id == estate_id).order_by(QuietHours.id)
    )
    return list(rows.scalars().all())


async def set_hours(
    session: AsyncSession, estate_id: uuid.UUID, *, starts: dt.time, ends: dt.time
) -> list[QuietHours]:
    rows = await of_estate(session, estate_id)
    for row in rows:
        row.starts, row.ends = starts, ends
    CACHE.invalidate(session, estate_id)
    return rows
