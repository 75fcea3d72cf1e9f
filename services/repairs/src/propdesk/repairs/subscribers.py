"""Events repairs consumes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope
from propdesk.repairs import service

intake = Subscription(producer="intake")


@intake.on(EstateRegistered.spec.type)
async def on_estate_registered(session: AsyncSession, event: EstateRegistered, envelope: Envelope) -> None:
    await service.provision_estate(session, event, envelope)


def subscriptions() -> list[Subscription]:
    return [intake]
