"""Events intake consumes: each downstream service's `*.estate.provisioned`; repairs' work orders (to link
the desk's repair requests to them, and to follow up completed ones); billing's held deposits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.consumer import Subscription
from propdesk.common.contracts import billing, identity, incidents, notify, repairs
from propdesk.common.events import Envelope
from propdesk.intake.models import Unit
from propdesk.intake.service import estates as service
from propdesk.intake.service import followups, renovations
from propdesk.intake.service import repairs as repair_requests


async def on_estate_provisioned(session: AsyncSession, event, envelope: Envelope) -> None:
    await service.record_provisioned(session, estate_id=event.estate_id, service=envelope.producer)


async def on_work_order_created(
    session: AsyncSession, event: repairs.WorkOrderCreated, envelope: Envelope
) -> None:
    await repair_requests.link_work_order(session, event)


async def on_work_order_completed(
    session: AsyncSession, event: repairs.WorkOrderCompleted, envelope: Envelope
) -> None:
    """Every completed repair is followed up within 7 days (sampled per estate)."""
    await followups.create(
        session,
        estate_id=event.estate_id,
        source_kind="work_order",
        source_id=event.work_order_id,
        source_reference=event.reference,
        category=event.category,
        unit_id=event.unit_id if event.unit_id and await session.get(Unit, event.unit_id) else None,
        resident_id=event.resident_id,
        base_time=event.completed_at,
        actor="repairs",
    )


async def on_deposit_held(session: AsyncSession, event: billing.DepositHeld, envelope: Envelope) -> None:
    if event.purpose == "renovation":
        await renovations.deposit_held(session, event.source_id, event.amount_fen, event.deposit_id)


async def on_deposit_released(
    session: AsyncSession, event: billing.DepositReleased, envelope: Envelope
) -> None:
    if event.purpose == "renovation":
        await renovations.deposit_released(
            session, event.source_id, event.refund_fen, event.deductions_fen, event.deposit_id
        )


def subscriptions() -> list[Subscription]:
    subs = {
        module.EstateProvisioned.spec.producer: Subscription(
            producer=module.EstateProvisioned.spec.producer,
            handlers={module.EstateProvisioned.spec.type: on_estate_provisioned},
        )
        for module in (repairs, billing, incidents, notify, identity)
    }
    subs["repairs"].handlers[repairs.WorkOrderCreated.spec.type] = on_work_order_created
    subs["repairs"].handlers[repairs.WorkOrderCompleted.spec.type] = on_work_order_completed
    subs["billing"].handlers[billing.DepositHeld.spec.type] = on_deposit_held
    subs["billing"].handlers[billing.DepositReleased.spec.type] = on_deposit_released
    return list(subs.values())
