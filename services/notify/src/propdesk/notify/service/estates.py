"""notify's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.notify import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.common.logging import get_logger
from propdesk.common.projections import upsert_estate
from propdesk.notify.errors import EstateNotKnown
from propdesk.notify.models import QuietHours, estate

log = get_logger("propdesk.notify")

DEFAULTS = [
    # starts, ends (estate time), applies to
    (dt.time(22, 0), dt.time(7, 0), "non_critical"),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    if not await upsert_estate(session, estate, event, envelope):
        return  # a re-published registration refreshes the projection; defaults stay as configured
    estate_tz = event.timezone
    session.add_all(
        QuietHours(
            estate_id=event.estate_id,
            **dict(zip(("starts", "ends", "applies_to"), row, strict=True)),
            timezone=estate_tz,
        )
        for row in DEFAULTS
    )
    await session.flush()
    await outbox.record(
        session,
        EstateProvisioned(estate_id=event.estate_id, detail={"quiet_hours_rows": len(DEFAULTS)}),
        aggregate_id=event.estate_id,
        estate_id=event.estate_id,
    )
    log.info("estate.provisioned", estate_id=str(event.estate_id), defaults=len(DEFAULTS))


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[QuietHours]:
    if (await session.execute(select(estate.c.id).where(estate.c.id == estate_id))).first() is None:
        raise EstateNotKnown(f"estate {estate_id} is not known to notify")
    rows = await session.execute(
        select(QuietHours).where(QuietHours.estate_id == estate_id).order_by(QuietHours.id)
    )
    return list(rows.scalars().all())


_ = dt
