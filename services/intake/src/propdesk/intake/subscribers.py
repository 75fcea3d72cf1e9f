"""Events intake consumes: each downstream service's `*.estate.provisioned`, and repairs' work orders
(to link the desk's repair requests and cases to them)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts import billing, incidents, notify, repairs
from propdesk.common.events import Envelope
from propdesk.intake.service import estates as service
from propdesk.intake.service import repairs as repair_requests


async def on_estate_provisioned(session: AsyncSession, event, envelope: Envelope) -> None:
    await service.record_provisioned(session, estate_id=event.estate_id, service=envelope.producer)


async def on_work_order_created(
    session: AsyncSession, event: repairs.WorkOrderCreated, envelope: Envelope
) -> None:
    await repair_requests.link_work_order(session, event)


def subscriptions() -> list[Subscription]:
    subs = {
        module.EstateProvisioned.spec.producer: Subscription(
            producer=module.EstateProvisioned.spec.producer,
            handlers={module.EstateProvisioned.spec.type: on_estate_provisioned},
        )
        for module in (repairs, billing, incidents, notify)
    }
    subs["repairs"].handlers[repairs.WorkOrderCreated.spec.type] = on_work_order_created
    return list(subs.values())
