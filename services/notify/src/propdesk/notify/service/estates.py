"""notify's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.contracts.notify import EstateProvisioned
from propdesk.common.events import Envelope
from propdesk.notify.models import QuietHours, estate
from propdesk.notify.service.delivery import CONFIG

DEFAULTS = [
    # starts, ends (estate time), applies to
    (dt.time(22, 0), dt.time(7, 0), "non_critical"),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    CONFIG.discard(("quiet", event.estate_id), ("estate", event.estate_id))
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=[
            QuietHours(
                estate_id=event.estate_id,
                **dict(zip(("starts", "ends", "applies_to"), row, strict=True)),
                timezone=event.timezone,
            )
            for row in DEFAULTS
        ],
        provisioned=EstateProvisioned(estate_id=event.estate_id, detail={"quiet_hours_rows": len(DEFAULTS)}),
    )


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[QuietHours]:
    await projections.require_known_estate(session, estate, estate_id, "notify")
    rows = await session.execute(
        select(QuietHours).where(QuietHours.estate_id == estate_id).order_by(QuietHours.id)
    )
    return list(rows.scalars().all())
