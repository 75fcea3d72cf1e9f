"""identity's projection of intake's estates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import projections
from propdesk.common.contracts.identity import EstateProvisioned
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope
from propdesk.identity.models import estate


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=[],
        provisioned=EstateProvisioned(estate_id=event.estate_id),
    )
