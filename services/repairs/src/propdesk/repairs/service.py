"""repairs's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.repairs import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.repairs.models import SlaTarget, estate

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
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=[
            SlaTarget(
                estate_id=event.estate_id,
                **dict(zip(("urgency", "milestone", "target_minutes", "calendar"), row, strict=True)),
            )
            for row in DEFAULTS
        ],
        provisioned=EstateProvisioned(estate_id=event.estate_id, detail={"sla_target_rows": len(DEFAULTS)}),
    )


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[SlaTarget]:
    await projections.require_known_estate(session, estate, estate_id, "repairs")
    rows = await session.execute(
        select(SlaTarget).where(SlaTarget.estate_id == estate_id).order_by(SlaTarget.id)
    )
    return list(rows.scalars().all())
