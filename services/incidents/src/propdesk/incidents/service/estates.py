"""incidents's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.contracts.incidents import EstateProvisioned
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope
from propdesk.incidents.models import ResponseTarget, estate

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
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=[
            ResponseTarget(
                estate_id=event.estate_id,
                **dict(zip(("incident_kind", "step", "target_minutes", "source"), row, strict=True)),
            )
            for row in DEFAULTS
        ],
        provisioned=EstateProvisioned(
            estate_id=event.estate_id, detail={"response_target_rows": len(DEFAULTS)}
        ),
    )


async def list_defaults(session: AsyncSession, estate_id: uuid.UUID) -> list[ResponseTarget]:
    await projections.require_known_estate(session, estate, estate_id, "incidents")
    rows = await session.execute(
        select(ResponseTarget).where(ResponseTarget.estate_id == estate_id).order_by(ResponseTarget.id)
    )
    return list(rows.scalars().all())
