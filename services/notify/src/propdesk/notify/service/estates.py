"""notify's part of estate onboarding (keep the projection, seed the defaults, say so), and the estate as
messages name it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.cache import TTLCache
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.notify import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.notify.models import estate
from propdesk.notify.service import quiet

UNKNOWN = {"name": "物业服务中心", "timezone": "Asia/Shanghai"}
CACHE = TTLCache(ttl=5.0)  # the estate's name and time zone, as every message shows them


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    CACHE.invalidate(session, event.estate_id)
    quiet.CACHE.invalidate(session, event.estate_id)
    defaults = quiet.defaults(event.estate_id, event.timezone)
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=defaults,
        provisioned=EstateProvisioned(estate_id=event.estate_id, detail={"quiet_hours_rows": len(defaults)}),
    )


async def context(session: AsyncSession, estate_id: uuid.UUID | None) -> dict:
    """{name, timezone} for templates; an estate not known (yet) is looked up again next time."""
    found = CACHE.read(session, estate_id, None)
    if found is None:
        row = (
            await session.execute(select(estate.c.name, estate.c.timezone).where(estate.c.id == estate_id))
        ).first()
        if row is None:
            return dict(UNKNOWN)
        found = CACHE.stage(session, estate_id, {"name": row.name, "timezone": row.timezone})
    return found
