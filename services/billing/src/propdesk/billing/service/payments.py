"""Payments: allocated to the unit's open invoices oldest first (or to the ones named), as immutable
allocation rows; what is left over becomes the unit's credit; every payment is one journal entry (cash or
bank against receivable and credit) and has a receipt number."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Allocation, Invoice, Payment, Unit
from propdesk.billing.schemas import AllocationRead, InvoiceRead, PaymentRead
from propdesk.billing.service import accounts, credit, ledger, numbering, payers
from propdesk.billing.service.book import OPEN, OpenBook
from propdesk.common import outbox
from propdesk.common.contracts import billing as ev
from propdesk.common.errors import IllegalTransition, InvalidInput, NotFound
from propdesk.common.i18n import Text
from propdesk.common.ids import uuid7
from propdesk.common.timeutil import to_local, utcnow


@dataclass
class Planned:
    id: uuid.UUID
    unit_id: uuid.UUID
    amount_fen: int
    reference: str | None
    allocations: list[tuple[uuid.UUID, int]]
    write_offs: list[tuple[uuid.UUID, int]]
    credit_fen: int
    allocated_fen: int
    written_off_fen: int
    receipt_number: str = ""


@dataclass
class Plan:
    """Payments decided in memory against an OpenBook, then written with a handful of set-based statements:
    payments, allocations, the invoices' new balances, one balanced journal entry each, their events."""

    estate_id: uuid.UUID
    channel: str
    actor: str
    payments: list[Planned] = field(default_factory=list)

    def pay(
        self,
        book: OpenBook,
        unit_id: uuid.UUID,
        amount_fen: int,
        *,
        invoice_ids: list[uuid.UUID] | None = None,
        reference: str | None = None,
        tolerance_fen: int = 0,
    ) -> Planned:
        """Oldest first over the unit's open invoices (or only those named); the rest is credit. A shortfall
        of at most `tolerance_fen` on what was targeted is written off (a bank's fee, a rounding)."""
        targets = [
            i
            for i in book.by_unit.get(unit_id, ())
            if i.owing > 0 and (not invoice_ids or i.id in invoice_ids)
        ]
        left, allocations, write_offs = amount_fen, [], []
        for invoice in targets:
            take = min(left, invoice.owing)
            if take <= 0:
                break
            invoice.owing -= take
            allocations.append((invoice.id, take))
            left -= take
        short = sum(i.owing for i in targets)
        if 0 < short <= tolerance_fen:
            for invoice in targets:
                if invoice.owing:
                    write_offs.append((invoice.id, invoice.owing))
                    invoice.owing = 0
        planned = Planned(
            uuid7(),
            unit_id,
            amount_fen,
            reference,
            allocations,
            write_offs,
            credit_fen=left,
            allocated_fen=amount_fen - left,
            written_off_fen=sum(a for _, a in write_offs),
        )
        self.payments.append(planned)
        return planned

    async def write(self, session: AsyncSession) -> None:
        if not self.payments:
            return
        now, ps = utcnow(), self.payments
        paying = await payers.of_units(session, list({p.unit_id for p in ps}))
        numbers = await numbering.take(session, self.estate_id, "RCP", f"{to_local(now):%Y%m}", len(ps))
        for p, number in zip(ps, numbers, strict=True):
            p.receipt_number = number
        await session.execute(
            text("""
            INSERT INTO billing.payment (id, estate_id, unit_id, channel, amount_fen, credit_fen, receipt_number,
                                         received_by, reference, state, payer_id, created_at, updated_at)
            SELECT id, :estate, unit_id, :channel, amount, credit, receipt, :actor, reference, 'posted', payer, :now, :now
            FROM unnest(CAST(:ids AS uuid[]), CAST(:units AS uuid[]), CAST(:amounts AS bigint[]),
                        CAST(:credits AS bigint[]), CAST(:receipts AS text[]), CAST(:references AS text[]),
                        CAST(:payers AS uuid[]))
                 AS x(id, unit_id, amount, credit, receipt, reference, payer)
            """),
            {
                "estate": self.estate_id,
                "channel": self.channel,
                "actor": self.actor,
                "now": now,
                "ids": [p.id for p in ps],
                "units": [p.unit_id for p in ps],
                "amounts": [p.amount_fen for p in ps],
                "credits": [p.credit_fen for p in ps],
                "receipts": [p.receipt_number for p in ps],
                "references": [p.reference for p in ps],
                "payers": [paying.get(p.unit_id) for p in ps],
            },
        )
        rows = [(p.id, i, a, "payment") for p in ps for i, a in p.allocations] + [
            (p.id, i, a, "write_off") for p in ps for i, a in p.write_offs
        ]
        if rows:
            await session.execute(
                text("""
                INSERT INTO billing.allocation (id, payment_id, invoice_id, amount_fen, kind)
                SELECT gen_random_uuid(), p, i, a, k
                FROM unnest(CAST(:p AS uuid[]), CAST(:i AS uuid[]), CAST(:a AS bigint[]), CAST(:k AS text[]))
                     AS x(p, i, a, k)
                """),
                {k: [r[n] for r in rows] for n, k in enumerate("piak")},
            )
            paid: dict[uuid.UUID, list[int]] = {}
            for _, invoice_id, amount, kind in rows:
                paid.setdefault(invoice_id, [0, 0])[kind == "write_off"] += amount
            await session.execute(
                text("""
                UPDATE billing.invoice i
                SET paid_fen = i.paid_fen + x.paid, written_off_fen = i.written_off_fen + x.wo,
                    state = CASE WHEN i.paid_fen + x.paid + i.written_off_fen + x.wo = i.total_fen
                                 THEN 'paid' ELSE 'partially_paid' END,
                    updated_at = :now
                FROM unnest(CAST(:ids AS uuid[]), CAST(:paid AS bigint[]), CAST(:wo AS bigint[])) AS x(id, paid, wo)
                WHERE i.id = x.id
                """),
                {
                    "now": now,
                    "ids": list(paid),
                    "paid": [v[0] for v in paid.values()],
                    "wo": [v[1] for v in paid.values()],
                },
            )
        batch = ledger.Batch()
        cash = (await accounts.chart(session, self.estate_id)).cash(self.channel)
        for p in ps:  # each entry balances by construction; the database checks it again
            written_off = p.written_off_fen
            batch.add(
                f"{p.receipt_number} {self.channel}",
                "payment",
                p.id,
                [
                    (cash, p.amount_fen, 0, None),
                    (ledger.WRITE_OFF, written_off, 0, None),
                    (ledger.RECEIVABLE, 0, p.allocated_fen + written_off, p.unit_id),
                    (ledger.CREDIT, 0, p.credit_fen, p.unit_id),
                ],
            )
        await batch.post(session, self.estate_id, posted_at=now)
        touched = {i for _, i, _, _ in rows}
        for obj in list(session.identity_map.values()):  # invoices the ORM holds changed underneath it
            if isinstance(obj, Invoice) and obj.id in touched:
                await session.refresh(obj)
        outbox.record_many(
            session,
            [
                (
                    ev.PaymentReceived(
                        payer_id=paying.get(p.unit_id),
                        payment_id=p.id,
                        estate_id=self.estate_id,
                        unit_id=p.unit_id,
                        receipt_number=p.receipt_number,
                        amount_fen=p.amount_fen,
                        allocated_fen=p.allocated_fen,
                        credit_fen=p.credit_fen,
                        channel=self.channel,
                        written_off_fen=p.written_off_fen,
                    ),
                    p.id,
                )
                for p in ps
            ],
            estate_id=self.estate_id,
        )


async def pay(
    session: AsyncSession,
    unit_id: uuid.UUID,
    *,
    amount_fen: int,
    channel: str,
    invoice_ids: list[uuid.UUID],
    reference: str | None,
    actor: str,
    tolerance_fen: int = 0,
) -> tuple[Payment, list[Allocation]]:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(Text("billing 中没有该房屋", "No such unit in billing"))
    if invoice_ids:
        named = list(
            (
                await session.execute(
                    select(Invoice.number, Invoice.state).where(
                        Invoice.unit_id == unit_id, Invoice.id.in_(invoice_ids)
                    )
                )
            ).all()
        )
        if len(named) != len(set(invoice_ids)):
            raise InvalidInput(Text("所列账单不属于该房屋", "Some invoices named are not this unit's"))
        closed = [number for number, state in named if state not in OPEN]
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
    plan = Plan(unit.estate_id, channel, actor)
    planned = plan.pay(
        await OpenBook.load(session, unit.estate_id, [unit_id]),
        unit_id,
        amount_fen,
        invoice_ids=invoice_ids,
        reference=reference,
        tolerance_fen=tolerance_fen,
    )
    await plan.write(session)
    payment = (await session.execute(select(Payment).where(Payment.id == planned.id))).scalar_one()
    allocations = list(
        (
            await session.execute(
                select(Allocation).where(Allocation.payment_id == payment.id).order_by(Allocation.kind)
            )
        ).scalars()
    )
    return payment, allocations


async def reverse(session: AsyncSession, payment: Payment, *, reason: str, actor: str) -> Payment:
    """Undo a payment with new rows, never edits: negative allocations give the invoices their balance back
    (what was written off with it too), and a reversing journal entry takes the money out of cash again."""
    if payment.state == "reversed":
        raise IllegalTransition(
            Text("该收款已冲销", "This payment was reversed already"), state=payment.state, action="reverse"
        )
    # the unit first, then its invoices: the order credit.apply takes them in
    await session.execute(select(Unit.id).where(Unit.id == payment.unit_id).with_for_update())
    allocations = (
        (await session.execute(select(Allocation).where(Allocation.payment_id == payment.id))).scalars().all()
    )
    by_invoice: dict[tuple[uuid.UUID, str], int] = {}
    for a in allocations:
        by_invoice[a.invoice_id, a.kind] = by_invoice.get((a.invoice_id, a.kind), 0) + a.amount_fen
    invoices = {
        i.id: i
        for i in (
            await session.execute(
                select(Invoice).where(Invoice.id.in_([i for i, _ in by_invoice])).with_for_update()
            )
        ).scalars()
    }
    for (invoice_id, kind), amount in by_invoice.items():
        if amount <= 0:
            continue
        invoice = invoices[invoice_id]
        if kind == "write_off":
            invoice.written_off_fen -= amount
        else:
            invoice.paid_fen -= amount
        invoice.state = "issued" if invoice.paid_fen + invoice.written_off_fen == 0 else "partially_paid"
        session.add(Allocation(payment_id=payment.id, invoice_id=invoice_id, amount_fen=-amount, kind=kind))
    if payment.credit_fen:  # its credit may have paid invoices since: take that back first
        have = (await credit.balances(session, payment.estate_id, [payment.unit_id])).get(payment.unit_id, 0)
        short = payment.credit_fen - have
        if short > 0 and await credit.unwind(session, payment.estate_id, payment.unit_id, short) < short:
            raise IllegalTransition(
                Text(
                    "该收款形成的余额已退款，不能冲销",
                    "The credit this payment left was refunded; the payment cannot be reversed",
                ),
                state=payment.state,
                action="reverse",
            )
    allocated = sum(v for (_, k), v in by_invoice.items() if v > 0 and k == "payment")
    written_off = sum(v for (_, k), v in by_invoice.items() if v > 0 and k == "write_off")
    await ledger.post(
        session,
        payment.estate_id,
        memo=f"冲销 reversal {payment.receipt_number}: {reason}",
        source_kind="payment_reversal",
        source_id=payment.id,
        lines=[
            ledger.Line(ledger.RECEIVABLE, debit_fen=allocated + written_off, unit_id=payment.unit_id),
            ledger.Line(ledger.CREDIT, debit_fen=payment.credit_fen, unit_id=payment.unit_id),
            ledger.Line(
                await ledger.cash_account_of(session, "payment", payment.id), credit_fen=payment.amount_fen
            ),
            ledger.Line(ledger.WRITE_OFF, credit_fen=written_off),
        ],
    )
    payment.state = "reversed"
    await session.flush()
    await credit.apply(session, payment.estate_id, [payment.unit_id])  # reopened invoices, credit left
    return payment


async def refund(
    session: AsyncSession,
    unit: Unit,
    *,
    amount_fen: int,
    channel: str,
    reason: str,
    overdue_override_reason: str | None = None,
) -> uuid.UUID:
    """Pay back part or all of a unit's credit, never more than it has. The credit first settles the unit's
    overdue invoices (in this same transaction) unless finance keeps them open with a reason."""
    offset: dict = {}
    if overdue_override_reason is None:
        offset = await credit.apply(session, unit.estate_id, [unit.id], due_before=to_local(utcnow()).date())
    available = (await credit.balances(session, unit.estate_id, [unit.id])).get(unit.id, 0)
    if amount_fen > available:
        settled = sum(offset.values())
        raise IllegalTransition(
            Text(
                f"退款 {amount_fen} 分超过可退余额 {available} 分"
                + (f"（余额先冲抵逾期账单 {settled} 分）" if settled else ""),
                f"the refund ({amount_fen} fen) exceeds the credit that can be refunded ({available} fen)"
                + (f"; {settled} fen of the credit first settles overdue invoices" if settled else ""),
            ),
            state="credit",
            action="refund",
            credit_fen=available,
            overdue_settled_fen=settled,
        )
    memo = f"退款 refund {unit.number}: {reason}"
    if overdue_override_reason is not None:
        memo += f" (逾期账单保留 overdue kept open: {overdue_override_reason})"
    return await ledger.post(
        session,
        unit.estate_id,
        memo=memo,
        source_kind="refund",
        source_id=unit.id,
        lines=[
            ledger.Line(ledger.CREDIT, debit_fen=amount_fen, unit_id=unit.id),
            ledger.Line((await accounts.chart(session, unit.estate_id)).cash(channel), credit_fen=amount_fen),
        ],
    )


def read(payment: Payment, allocations) -> PaymentRead:
    view = PaymentRead.model_validate(payment)
    view.allocations = [AllocationRead.model_validate(a) for a in allocations]
    return view


async def account(session: AsyncSession, unit: Unit) -> dict:
    """What the unit owes (net of its credit), its credit, its open invoices, its payments."""
    open_invoices = (
        await session.execute(
            select(Invoice)
            .where(Invoice.unit_id == unit.id, Invoice.state.in_(("issued", "partially_paid")))
            .order_by(Invoice.issued_at)
        )
    ).scalars()
    paid = (
        await session.execute(select(Payment).where(Payment.unit_id == unit.id).order_by(Payment.created_at))
    ).scalars()
    return {
        "unit_id": str(unit.id),
        "number": unit.number,
        "balance_fen": await ledger.unit_balance(session, unit.id),
        "credit_fen": (await credit.balances(session, unit.estate_id, [unit.id])).get(unit.id, 0),
        "payer": await payers.describe(session, unit.id),
        "open_invoices": [InvoiceRead.model_validate(i).model_dump(mode="json") for i in open_invoices],
        "payments": [PaymentRead.model_validate(p).model_dump(mode="json") for p in paid],
    }
