"""What payable work costs: parts at the price list's prices plus labour at the estate's hourly rate, one
rounding (money); billing turns the charge into an invoice."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal
from propdesk.common.contracts import repairs as ev
from propdesk.common.errors import IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.money import multiply
from propdesk.repairs.errors import PriceItemNotFound
from propdesk.repairs.models import PriceItem, WorkOrder, WorkOrderPart
from propdesk.repairs.service import access, timeline


async def charge(session: AsyncSession, wo: WorkOrder, rate_fen_per_hour: int) -> None:
    parts = (
        (await session.execute(select(WorkOrderPart).where(WorkOrderPart.work_order_id == wo.id)))
        .scalars()
        .all()
    )
    lines = [
        ev.ChargeLine(
            kind="part",
            description=p.name,
            quantity=str(p.quantity),
            unit_price_fen=p.unit_price_fen,
            amount_fen=p.amount_fen,
        )
        for p in parts
    ]
    if wo.labour_minutes:
        hours = (Decimal(wo.labour_minutes) / 60).quantize(Decimal("0.01"))
        lines.append(
            ev.ChargeLine(
                kind="labour",
                description=f"人工 labour ({wo.labour_minutes} min)",
                quantity=str(hours),
                unit_price_fen=rate_fen_per_hour,
                amount_fen=multiply(Decimal(rate_fen_per_hour) / 60, wo.labour_minutes),
            )
        )
    if not lines:
        return
    wo.charge_fen = sum(line.amount_fen for line in lines)
    timeline.entry(session, wo, "charged", "system", None, total_fen=wo.charge_fen)
    await session.flush()
    timeline.record(
        session,
        wo,
        ev.ChargeRaised(
            charge_id=uuid.uuid4(),
            work_order_id=wo.id,
            estate_id=wo.estate_id,
            unit_id=wo.unit_id,
            reference=wo.reference,
            lines=lines,
            total_fen=wo.charge_fen,
        ),
    )


async def record_part(
    session: AsyncSession, wo: WorkOrder, *, code: str, quantity: Decimal, principal: Principal
) -> WorkOrderPart:
    """A part from the estate's price list, while the work is under way."""
    access.require_own(principal, wo)
    if wo.state not in ("accepted", "en_route", "on_site", "paused"):
        raise IllegalTransition(
            Text("只能在维修过程中登记配件", "Parts are recorded while the work is under way"),
            state=wo.state,
            action="part",
        )
    item = (
        await session.execute(
            select(PriceItem).where(
                PriceItem.estate_id == wo.estate_id, PriceItem.code == code, PriceItem.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if item is None:
        raise PriceItemNotFound(f"no active part {code!r} in this estate's price list")
    actor = timeline.actor_of(principal)
    part = WorkOrderPart(
        work_order_id=wo.id,
        price_item_id=item.id,
        name=item.name,
        quantity=quantity,
        unit_price_fen=item.price_fen,
        amount_fen=multiply(item.price_fen, quantity),
        recorded_by=actor,
    )
    session.add(part)
    timeline.entry(
        session, wo, "part", actor, None, code=code, quantity=str(quantity), amount_fen=part.amount_fen
    )
    await session.flush()
    return part
