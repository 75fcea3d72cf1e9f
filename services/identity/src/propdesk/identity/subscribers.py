"""Events identity consumes: intake's registry (estates, residents, occupancies, staff), so that accounts exist
for the people intake registers and tokens claim what the registry says."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts import intake as ev
from propdesk.common.events import Envelope
from propdesk.identity.service import estates, people

intake = Subscription(producer="intake")


@intake.on(ev.EstateRegistered.spec.type)
async def on_estate_registered(session: AsyncSession, event: ev.EstateRegistered, envelope: Envelope) -> None:
    await estates.provision_estate(session, event, envelope)


async def on_resident(session: AsyncSession, event: ev.ResidentSnapshot, envelope: Envelope) -> None:
    await people.on_resident(session, event)


async def on_staff(session: AsyncSession, event: ev.StaffSnapshot, envelope: Envelope) -> None:
    await people.on_staff(session, event)


async def on_occupancy(session: AsyncSession, event: ev.OccupancySnapshot, envelope: Envelope) -> None:
    await people.on_occupancy(session, event, started=envelope.type == ev.OccupancyStarted.spec.type)


for model in (ev.ResidentRegistered, ev.ResidentUpdated):
    intake.handlers[model.spec.type] = on_resident
for model in (ev.StaffRegistered, ev.StaffUpdated):
    intake.handlers[model.spec.type] = on_staff
for model in (ev.OccupancyStarted, ev.OccupancyEnded):
    intake.handlers[model.spec.type] = on_occupancy


def subscriptions() -> list[Subscription]:
    return [intake]
