"""incidents's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.incidents import EstateProvisioned
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope
from propdesk.common.logging import get_logger
from propdesk.common.projections import upsert_estate
from propdesk.incidents.errors import EstateNotKnown
from propdesk.incidents.models import ResponseTarget, estate

log = get_logger("propdesk.incidents")

DEFAULTS = [
    # incident kind, step, minutes after trigger, where the limit comes from
    ("elevator_entrapment", "rescuers_on_site", 30, "local elevator regulations art. 25/29"),
    ("fire", "call_119", 0, "fire-protection law: call at once"),
    ("fire", "on_site_team", 1, "station practice"),
    ("fire", "backup_team", 3, "station practice"),
    ("sudden_illness", "call_120", 0, "emergency-service targets"),
    ("drunk_disturbance", "call_110", 0, "public-security law"),
    ("water_outage", "planned_notice", -24 * 60, "water-supply rules: notice >= 24 h before"),
    ("power_outage", "planned_notice", -7 * 24 * 60, "grid service pledge: notice >= 7 days before"),
]


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    if not await upsert_estate(session, estate, event, envelope):
        return  # a re-published registration refreshes the projection; defaults stay as configured
    session.add_all(
        ResponseTarget(
            estate_id=event.estate_id,
            **dict(zip(("incident_kind", "step", "target_minutes", "source"), row, strict=True)),
        )
        for row in DEFAULTS
    )
    await session.flush()
    await outbox.record(
        session,
        EstateProvisioned(estate_id=event.estate_id, detail={"response_target_rows": len(DEFAULTS)}),
        aggregate_id=event.estate_id,
        estate_id=event.estate_id,
    )
    log.info("estate.provisioned", estate_id=str(event.estate_id), defaults=len(DEFAULTS))


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[ResponseTarget]:
    if (await session.execute(select(estate.c.id).where(estate.c.id == estate_id))).first() is None:
        raise EstateNotKnown(f"estate {estate_id} is not known to incidents")
    rows = await session.execute(
        select(ResponseTarget).where(ResponseTarget.estate_id == estate_id).order_by(ResponseTarget.id)
    )
    return list(rows.scalars().all())


_ = dt
