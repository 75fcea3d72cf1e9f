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

CHARGES = uuid.UUID("6f1d0c52-3c1e-4c55-9a53-3f0d7c0e2a11")  # namespace of charge ids (uuid5)


async def charge(session: AsyncSession, wo: WorkOrder, rate_fen_per_hour: int) -> None:
    """Charge what this completion added: the parts not yet charged and the labour minutes beyond those
    already charged. A reopened order completed again without new work raises nothing. The charge id is
    derived from the order and its completion (reopen count), so billing's invoice for it is made once."""
    parts = (
        (
            await session.execute(
                select(WorkOrderPart).where(
                    WorkOrderPart.work_order_id == wo.id, WorkOrderPart.charge_id.is_(None)
                )
            )
        )
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
    minutes = (wo.labour_minutes or 0) - (wo.labour_charged_minutes or 0)
    if minutes > 0:
        hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
        lines.append(
            ev.ChargeLine(
                kind="labour",
                description=f"人工 labour ({minutes} min)",
                quantity=str(hours),
                unit_price_fen=rate_fen_per_hour,
                amount_fen=multiply(Decimal(rate_fen_per_hour) / 60, minutes),
            )
        )
    if not lines:
        return
    charge_id = uuid.uuid5(CHARGES, f"{wo.id}:{wo.reopen_count}")
    for p in parts:
        p.charge_id = charge_id
    wo.labour_charged_minutes = max(wo.labour_minutes or 0, wo.labour_charged_minutes or 0)
    total = sum(line.amount_fen for line in lines)
    wo.charge_fen = (wo.charge_fen or 0) + total  # everything charged for this order so far
    timeline.entry(session, wo, "charged", "system", None, total_fen=total, charge_id=str(charge_id))
    await session.flush()
    timeline.record(
        session,
        wo,
        ev.ChargeRaised(
            charge_id=charge_id,
            work_order_id=wo.id,
            estate_id=wo.estate_id,
            unit_id=wo.unit_id,
            reference=wo.reference,
            lines=lines,
            total_fen=total,
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
