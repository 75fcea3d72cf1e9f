"""Invoices: one-off ones from events (a repair charge, a violation fine), each posted to the ledger
(receivable against revenue); fee items; void, waive, listing. The monthly run is in `runs`."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Allocation, FeeItem, Invoice, InvoiceLine, Unit, estate
from propdesk.billing.schemas import AllocationRead, InvoiceRead, LineRead
from propdesk.billing.service import accounts, credit, ledger, numbering, payers
from propdesk.common import outbox, projections
from propdesk.common.auth import Principal, Role, unit_filter
from propdesk.common.contracts import billing as ev
from propdesk.common.errors import Forbidden, IllegalTransition, InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, page_of, paginate
from propdesk.common.timeutil import to_local, utcnow

DUE_DAYS = 15


async def _number(session: AsyncSession, estate_id: uuid.UUID, now: dt.datetime) -> str:
    """A one-off invoice's number: the estate's sequence of the month it is issued in."""
    (number,) = await numbering.take(session, estate_id, "INV", f"{to_local(now):%Y%m}")
    return number


async def one_off(
    session: AsyncSession,
    *,
    estate_id: uuid.UUID,
    unit_id: uuid.UUID,
    source_kind: str,
    source_id: uuid.UUID,
    lines: list[tuple[str, Decimal, Decimal, int, str]],
    memo: str,
) -> Invoice | None:
    """An invoice for a charge that arrived as an event; None when that source was invoiced already.
    lines: (description, quantity, unit price in fen, amount in fen, revenue category: repair, fine, …),
    each posted to the estate's account for its category."""
    exists = await session.execute(
        select(Invoice.id).where(Invoice.source_kind == source_kind, Invoice.source_id == source_id)
    )
    if exists.first() is not None:
        return None
    if await session.get(Unit, unit_id) is None:
        raise LookupError(f"unit {unit_id} is not known to billing yet")
    now = utcnow()
    chart = await accounts.chart(session, estate_id)
    lines = [(d, q, p, a, chart.revenue(category)) for d, q, p, a, category in lines]
    invoice = Invoice(
        estate_id=estate_id,
        unit_id=unit_id,
        number=await _number(session, estate_id, now),
        period=None,
        source_kind=source_kind,
        source_id=source_id,
        state="issued",
        total_fen=sum(line[3] for line in lines),
        paid_fen=0,
        issued_at=now,
        due_on=(to_local(now).date() + dt.timedelta(days=DUE_DAYS)),
    )
    session.add(invoice)
    await session.flush()
    session.add_all(
        [
            InvoiceLine(
                invoice_id=invoice.id,
                description=d[:200],
                quantity=q,
                unit_price=p,
                amount_fen=a,
                revenue_account=acct,
            )
            for d, q, p, a, acct in lines
        ]
    )
    revenue: dict[str, int] = {}
    for *_, amount, account in lines:
        revenue[account] = revenue.get(account, 0) + amount
    await ledger.post(
        session,
        estate_id,
        memo=f"{invoice.number} {memo}",
        source_kind="invoice",
        source_id=invoice.id,
        lines=[ledger.Line(ledger.RECEIVABLE, debit_fen=invoice.total_fen, unit_id=unit_id)]
        + [ledger.Line(account, credit_fen=amount, unit_id=unit_id) for account, amount in revenue.items()],
    )
    await session.flush()
    outbox.record(
        session,
        issued_event(invoice, await payers.of_unit(session, unit_id)),
        aggregate_id=invoice.id,
        estate_id=estate_id,
    )
    await credit.apply(session, estate_id, [unit_id])
    return invoice


def issued_event(invoice: Invoice, payer_id: uuid.UUID | None) -> ev.InvoiceIssued:
    return ev.InvoiceIssued(
        payer_id=payer_id,
        invoice_id=invoice.id,
        estate_id=invoice.estate_id,
        unit_id=invoice.unit_id,
        number=invoice.number,
        period=invoice.period,
        total_fen=invoice.total_fen,
        due_on=invoice.due_on,
    )


async def add_fee_item(session: AsyncSession, estate_id: uuid.UUID, data) -> FeeItem:
    await projections.require_known_estate(session, estate, estate_id, "billing")
    if data.building_id is not None:
        known = await session.execute(
            select(Unit.id).where(Unit.estate_id == estate_id, Unit.building_id == data.building_id).limit(1)
        )
        if known.first() is None:
            raise InvalidInput(
                Text("该小区没有这栋楼（或楼内尚无房屋）", "No such building with units in this estate"),
                building_id=str(data.building_id),
            )
    stmt = (
        pg_insert(FeeItem)
        .values(id=uuid.uuid4(), estate_id=estate_id, **data.model_dump())
        .returning(FeeItem)
    )
    return (await session.execute(stmt)).scalar_one()


async def void(session: AsyncSession, invoice: Invoice, *, reason: str, actor: str) -> Invoice:
    """Void an unpaid invoice: a reversing journal entry (the original stays as it was posted)."""
    if invoice.state == "void":
        raise IllegalTransition(
            Text("账单已作废", "The invoice is void already"), state=invoice.state, action="void"
        )
    if invoice.paid_fen > 0 or invoice.written_off_fen > 0:
        raise IllegalTransition(
            Text(
                "已有收款的账单不能作废，请先退款", "An invoice with payments cannot be voided; refund first"
            ),
            state=invoice.state,
            action="void",
        )
    lines = (
        (await session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)))
        .scalars()
        .all()
    )
    revenue: dict[str, int] = {}
    for line in lines:
        revenue[line.revenue_account] = revenue.get(line.revenue_account, 0) + line.amount_fen
    await ledger.post(
        session,
        invoice.estate_id,
        memo=f"作废 void {invoice.number}: {reason}",
        source_kind="invoice_void",
        source_id=invoice.id,
        lines=[ledger.Line(ledger.RECEIVABLE, credit_fen=invoice.total_fen, unit_id=invoice.unit_id)]
        + [
            ledger.Line(account, debit_fen=amount, unit_id=invoice.unit_id)
            for account, amount in revenue.items()
        ],
    )
    invoice.state = "void"
    await session.flush()
    return invoice


async def waive(session: AsyncSession, invoice: Invoice, *, reason: str, actor: str) -> Invoice:
    """Waive the rest of a late-fee invoice: a `waiver` allocation, the late-fee revenue taken back."""
    if invoice.source_kind != "late_fee":
        raise IllegalTransition(
            Text("只有滞纳金账单可以减免", "Only a late-fee invoice can be waived"),
            state=invoice.state,
            action="waive",
        )
    owing = invoice.total_fen - invoice.paid_fen - invoice.written_off_fen
    if invoice.state not in ("issued", "partially_paid") or owing <= 0:
        raise IllegalTransition(
            Text("该滞纳金账单已结清", "Nothing is left to waive on this invoice"),
            state=invoice.state,
            action="waive",
        )
    session.add(Allocation(payment_id=None, invoice_id=invoice.id, amount_fen=owing, kind="waiver"))
    account = (
        await session.execute(
            select(InvoiceLine.revenue_account).where(InvoiceLine.invoice_id == invoice.id).limit(1)
        )
    ).scalar_one()
    await ledger.post(
        session,
        invoice.estate_id,
        memo=f"减免滞纳金 late fee waived {invoice.number} by {actor}: {reason}",
        source_kind="late_fee_waiver",
        source_id=invoice.id,
        lines=[
            ledger.Line(account, debit_fen=owing, unit_id=invoice.unit_id),
            ledger.Line(ledger.RECEIVABLE, credit_fen=owing, unit_id=invoice.unit_id),
        ],
    )
    invoice.written_off_fen += owing
    invoice.state = "waived" if invoice.paid_fen == 0 else "paid"
    await session.flush()
    return invoice


async def fee_items(session: AsyncSession, estate_id: uuid.UUID) -> list[FeeItem]:
    rows = await session.execute(
        select(FeeItem).where(FeeItem.estate_id == estate_id).order_by(FeeItem.code, FeeItem.effective_from)
    )
    return list(rows.scalars())


async def listing(
    session: AsyncSession,
    estate_id: uuid.UUID,
    principal: Principal,
    *,
    unit_id: uuid.UUID | None,
    state: str | None,
    period: str | None,
    params: PageParams,
) -> tuple[list[Invoice], str | None]:
    """Newest first; a resident sees only their own units'."""
    principal.require_estate(estate_id)
    if not principal.is_resident_only and not principal.has(
        Role.finance, Role.manager, Role.receptionist, Role.admin
    ):
        raise Forbidden(Text("无权查看账单", "No access to invoices"))
    stmt = select(Invoice).where(Invoice.estate_id == estate_id, unit_filter(principal, Invoice.unit_id))
    for column, value in ((Invoice.unit_id, unit_id), (Invoice.state, state), (Invoice.period, period)):
        if value is not None:
            stmt = stmt.where(column == value)
    rows = (
        await session.execute(paginate(stmt, params, key=Invoice.created_at, tiebreak=Invoice.id))
    ).scalars()
    return page_of(list(rows), params, cursor_of=lambda i: [i.created_at.isoformat(), str(i.id)])


async def read(session: AsyncSession, invoice: Invoice) -> InvoiceRead:
    """An invoice with its lines and the payments allocated to it."""
    view = InvoiceRead.model_validate(invoice)
    lines = await session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    allocations = await session.execute(select(Allocation).where(Allocation.invoice_id == invoice.id))
    view.lines = [LineRead.model_validate(x) for x in lines.scalars()]
    view.allocations = [AllocationRead.model_validate(a) for a in allocations.scalars()]
    return view


async def pause_dunning(session: AsyncSession, invoice: Invoice, paused) -> Invoice:
    """A dispute or a payment plan: no dunning and no late fees until `paused` is lifted (None)."""
    invoice.dunning_paused = paused
    await session.flush()
    return invoice
