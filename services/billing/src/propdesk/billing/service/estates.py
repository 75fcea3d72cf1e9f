"""billing's part of estate onboarding: keep the projection, seed the defaults, say so."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import estate
from propdesk.billing.service import accounts
from propdesk.common import projections
from propdesk.common.contracts.billing import EstateProvisioned
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope


async def provision_estate(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    from propdesk.billing.service import collection

    await collection.arm(session, event.estate_id, event.timezone)
    await projections.provision_estate(
        session,
        estate,
        event,
        envelope,
        defaults=accounts.default_rows(event.estate_id),
        provisioned=EstateProvisioned(
            estate_id=event.estate_id, detail={"ledger_account_rows": len(accounts.DEFAULTS)}
        ),
    )
