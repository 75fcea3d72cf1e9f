"""Events intake consumes: each downstream service's `*.estate.provisioned`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts import billing, incidents, notify, repairs
from propdesk.common.events import Envelope
from propdesk.intake.service import estates as service


async def on_estate_provisioned(session: AsyncSession, event, envelope: Envelope) -> None:
    await service.record_provisioned(session, estate_id=event.estate_id, service=envelope.producer)


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            producer=module.EstateProvisioned.spec.producer,
            handlers={module.EstateProvisioned.spec.type: on_estate_provisioned},
        )
        for module in (repairs, billing, incidents, notify)
    ]
