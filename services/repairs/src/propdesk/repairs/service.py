"""repairs's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.repairs import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.common.logging import get_logger
from propdesk.common.projections import upsert_estate
from propdesk.repairs.errors import EstateNotKnown
from propdesk.repairs.models import SlaTarget, estate

log = get_logger("propdesk.repairs")

DEFAULTS = [
    # urgency, milestone, minutes, calendar ("clock" = around the clock, "business" = working hours)
    ("emergency", "acknowledge", 5, "clock"),
    ("emergency", "arrive", 30, "clock"),  # 急修: on site <= 30 min, 24 h intake
    ("urgent", "acknowledge", 15, "clock"),  # urgent repair: response <= 15 min
    ("urgent", "arrive", 120, "clock"),
    ("normal", "acknowledge", 120, "clock"),  # normal repair accepted <= 2 h
    ("normal", "complete", 3 * 9 * 60, "business"),  # done in 3 working days
    ("scheduled", "complete", 7 * 9 * 60, "business"),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    if not await upsert_estate(session, estate, event, envelope):
        return  # a re-published registration refreshes the projection; defaults stay as configured
    session.add_all(
        SlaTarget(
            estate_id=event.estate_id,
            **dict(zip(("urgency", "milestone", "target_minutes", "calendar"), row, strict=True)),
        )
        for row in DEFAULTS
    )
    await session.flush()
    await outbox.record(
        session,
        EstateProvisioned(estate_id=event.estate_id, detail={"sla_target_rows": len(DEFAULTS)}),
        aggregate_id=event.estate_id,
        estate_id=event.estate_id,
    )
    log.info("estate.provisioned", estate_id=str(event.estate_id), defaults=len(DEFAULTS))


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[SlaTarget]:
    if (await session.execute(select(estate.c.id).where(estate.c.id == estate_id))).first() is None:
        raise EstateNotKnown(f"estate {estate_id} is not known to repairs")
    rows = await session.execute(
        select(SlaTarget).where(SlaTarget.estate_id == estate_id).order_by(SlaTarget.id)
    )
    return list(rows.scalars().all())


_ = dt
