"""Payments: allocated to the unit's open invoices oldest first (or to the ones named), as immutable
allocation rows; what is left over becomes the unit's credit; every payment is one journal entry (cash or
bank against receivable and credit) and has a receipt number."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Allocation, Invoice, JournalLine, Payment, Unit
from propdesk.billing.service import ledger
from propdesk.common import outbox
from propdesk.common.contracts import billing as ev
from propdesk.common.errors import IllegalTransition, InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.ids import human_ref
from propdesk.common.timeutil import to_local, utcnow

OPEN = ("issued", "partially_paid")


async def pay(
    session: AsyncSession,
    unit_id: uuid.UUID,
    *,
    amount_fen: int,
    channel: str,
    invoice_ids: list[uuid.UUID],
    reference: str | None,
    actor: str,
) -> tuple[Payment, list[Allocation]]:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(Text("billing 中没有该房屋", "No such unit in billing"))
    which = Invoice.id.in_(invoice_ids) if invoice_ids else Invoice.state.in_(OPEN)
    stmt = select(Invoice).where(Invoice.unit_id == unit_id, which)
    invoices = list(
        (await session.execute(stmt.order_by(Invoice.issued_at, Invoice.number).with_for_update())).scalars()
    )
    if invoice_ids:
        if len(invoices) != len(set(invoice_ids)):
            raise InvalidInput(Text("所列账单不属于该房屋", "Some invoices named are not this unit's"))
        closed = [i.number for i in invoices if i.state not in OPEN]
        if closed:
            raise IllegalTransition(
                Text(
                    f"账单已结清或作废：{', '.join(closed)}",
                    f"invoices not open for payment: {', '.join(closed)}",
                ),
                state="closed",
                action="pay",
                invoices=closed,
            )
    now = utcnow()
    n = (await session.execute(text("SELECT nextval('billing.receipt_number')"))).scalar_one()
    payment = Payment(
        estate_id=unit.estate_id,
        unit_id=unit_id,
        channel=channel,
        amount_fen=amount_fen,
        credit_fen=0,
        receipt_number=human_ref("RCP", f"{to_local(now):%Y%m}", n),
        received_by=actor,
        reference=reference,
    )
    session.add(payment)
    await session.flush()
    left, allocations = amount_fen, []
    for invoice in invoices:
        if left == 0:
            break
        take = min(left, invoice.total_fen - invoice.paid_fen)
        if take <= 0:
            continue
        invoice.paid_fen += take
        invoice.state = "paid" if invoice.paid_fen == invoice.total_fen else "partially_paid"
        allocations.append(Allocation(payment_id=payment.id, invoice_id=invoice.id, amount_fen=take))
        left -= take
    payment.credit_fen = left
    session.add_all(allocations)
    allocated = amount_fen - left
    await ledger.post(
        session,
        unit.estate_id,
        memo=f"{payment.receipt_number} {channel}",
        source_kind="payment",
        source_id=payment.id,
        lines=[
            ledger.Line(ledger.CASH_ACCOUNT[channel], debit_fen=amount_fen),
            ledger.Line(ledger.RECEIVABLE, credit_fen=allocated, unit_id=unit_id),
            ledger.Line(ledger.CREDIT, credit_fen=left, unit_id=unit_id),
        ],
    )
    await session.flush()
    await outbox.record(
        session,
        ev.PaymentReceived(
            payment_id=payment.id,
            estate_id=unit.estate_id,
            unit_id=unit_id,
            receipt_number=payment.receipt_number,
            amount_fen=amount_fen,
            allocated_fen=allocated,
            credit_fen=left,
            channel=channel,
        ),
        aggregate_id=payment.id,
        estate_id=unit.estate_id,
    )
    return payment, allocations


async def reverse(session: AsyncSession, payment: Payment, *, reason: str, actor: str) -> Payment:
    """Undo a payment with new rows, never edits: negative allocations give the invoices their balance back,
    and a reversing journal entry takes the money out of cash again."""
    if payment.state == "reversed":
        raise IllegalTransition(
            Text("该收款已冲销", "This payment was reversed already"), state=payment.state, action="reverse"
        )
    allocations = (
        (await session.execute(select(Allocation).where(Allocation.payment_id == payment.id))).scalars().all()
    )
    by_invoice: dict[uuid.UUID, int] = {}
    for a in allocations:
        by_invoice[a.invoice_id] = by_invoice.get(a.invoice_id, 0) + a.amount_fen
    invoices = {
        i.id: i
        for i in (
            await session.execute(select(Invoice).where(Invoice.id.in_(list(by_invoice))).with_for_update())
        ).scalars()
    }
    for invoice_id, amount in by_invoice.items():
        if amount <= 0:
            continue
        invoice = invoices[invoice_id]
        invoice.paid_fen -= amount
        invoice.state = "issued" if invoice.paid_fen == 0 else "partially_paid"
        session.add(Allocation(payment_id=payment.id, invoice_id=invoice_id, amount_fen=-amount))
    allocated = sum(v for v in by_invoice.values() if v > 0)
    await ledger.post(
        session,
        payment.estate_id,
        memo=f"冲销 reversal {payment.receipt_number}: {reason}",
        source_kind="payment_reversal",
        source_id=payment.id,
        lines=[
            ledger.Line(ledger.RECEIVABLE, debit_fen=allocated, unit_id=payment.unit_id),
            ledger.Line(ledger.CREDIT, debit_fen=payment.credit_fen, unit_id=payment.unit_id),
            ledger.Line(ledger.CASH_ACCOUNT[payment.channel], credit_fen=payment.amount_fen),
        ],
    )
    payment.state = "reversed"
    await session.flush()
    return payment


async def refund(
    session: AsyncSession, unit: Unit, *, amount_fen: int, channel: str, reason: str
) -> uuid.UUID:
    """Pay back part or all of a unit's credit; never more than it has."""
    credit = -(
        await session.execute(
            select(func.coalesce(func.sum(JournalLine.debit_fen - JournalLine.credit_fen), 0)).where(
                JournalLine.unit_id == unit.id, JournalLine.account == ledger.CREDIT
            )
        )
    ).scalar_one()
    if amount_fen > credit:
        raise IllegalTransition(
            Text(
                f"退款 {amount_fen} 分超过余额 {credit} 分",
                f"the refund ({amount_fen} fen) exceeds the credit ({credit} fen)",
            ),
            state="credit",
            action="refund",
            credit_fen=int(credit),
        )
    return await ledger.post(
        session,
        unit.estate_id,
        memo=f"退款 refund {unit.number}: {reason}",
        source_kind="refund",
        source_id=unit.id,
        lines=[
            ledger.Line(ledger.CREDIT, debit_fen=amount_fen, unit_id=unit.id),
            ledger.Line(ledger.CASH_ACCOUNT[channel], credit_fen=amount_fen),
        ],
    )
