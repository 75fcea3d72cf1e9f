"""Invoices: one-off ones from events (a repair charge, a violation fine), each posted to the ledger
(receivable against revenue); fee items; and the monthly billing run, set-based and idempotent: a unit is
billed once per period, whatever the number of runs."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Allocation, FeeItem, Invoice, InvoiceLine, Unit, estate
from propdesk.billing.schemas import AllocationRead, InvoiceRead, LineRead
from propdesk.billing.service import ledger, numbering
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
    lines: (description, quantity, unit price in fen, amount in fen, revenue account)."""
    exists = await session.execute(
        select(Invoice.id).where(Invoice.source_kind == source_kind, Invoice.source_id == source_id)
    )
    if exists.first() is not None:
        return None
    if await session.get(Unit, unit_id) is None:
        raise LookupError(f"unit {unit_id} is not known to billing yet")
    now = utcnow()
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
    outbox.record(session, issued_event(invoice), aggregate_id=invoice.id, estate_id=estate_id)
    return invoice


def issued_event(invoice: Invoice) -> ev.InvoiceIssued:
    return ev.InvoiceIssued(
        invoice_id=invoice.id,
        estate_id=invoice.estate_id,
        unit_id=invoice.unit_id,
        number=invoice.number,
        period=invoice.period,
        total_fen=invoice.total_fen,
        due_on=invoice.due_on,
    )


def _month(period: str) -> tuple[dt.date, dt.date]:
    try:
        year, month = (int(p) for p in period.split("-"))
        first = dt.date(year, month, 1)
    except ValueError as exc:
        raise InvalidInput(Text("账期格式为 YYYY-MM", "A period is YYYY-MM")) from exc
    return first, first.replace(day=calendar.monthrange(year, month)[1])


# The period's lines for every unit, one definition for the invoices and their lines. Area and fixed fees are
# prorated for a unit handed over during the month (its move-in: days from the handover over days in the month;
# a unit handed over later is not billed yet; one never handed over through the desk is billed in full);
# metered fees bill the consumption from the last reading before the period (or the first in it, an opening
# reading) to the last one in it.
LINES = """
    WITH fees AS (
      SELECT f.* FROM billing.fee_item f
      WHERE f.estate_id = :estate AND f.effective_from <= :last AND (f.effective_to IS NULL OR f.effective_to >= :first)
    ), units AS (
      SELECT u.*, (SELECT max(r.read_on) FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.source = 'move_in') AS start_on
      FROM billing.unit u WHERE u.estate_id = :estate
    ), factor AS (
      SELECT u.id AS unit_id,
             CASE WHEN u.start_on IS NULL OR u.start_on <= CAST(:first AS date) THEN 1::numeric
                  WHEN u.start_on > CAST(:last AS date) THEN 0::numeric
                  ELSE round((CAST(:last AS date) - u.start_on + 1)::numeric / (CAST(:last AS date) - CAST(:first AS date) + 1), 6)
             END AS f
      FROM units u
    ), readings AS (
      SELECT u.id AS unit_id, f.id AS fee_id,
             (SELECT r.reading FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.meter = f.meter AND r.read_on <= CAST(:last AS date)
              ORDER BY r.read_on DESC LIMIT 1)
           - coalesce(
               (SELECT r.reading FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.meter = f.meter
                AND r.read_on < CAST(:first AS date) ORDER BY r.read_on DESC LIMIT 1),
               (SELECT r.reading FROM billing.meter_reading r WHERE r.unit_id = u.id AND r.meter = f.meter
                AND r.read_on >= CAST(:first AS date) ORDER BY r.read_on LIMIT 1)) AS used
      FROM units u JOIN fees f ON f.unit_kind = u.kind AND f.basis = 'metered'
    )
    SELECT u.id AS unit_id, f.id AS fee_item_id,
           f.name || ' ' || :period || CASE WHEN x.f < 1 AND f.basis <> 'metered' THEN ' (' || round(x.f * 100, 1) || '%)' ELSE '' END AS description,
           CASE f.basis WHEN 'per_m2' THEN u.area_m2 * x.f WHEN 'fixed' THEN x.f ELSE coalesce(m.used, 0) END AS quantity,
           f.rate AS unit_price,
           round(f.rate * CASE f.basis WHEN 'per_m2' THEN u.area_m2 * x.f WHEN 'fixed' THEN x.f ELSE coalesce(m.used, 0) END)::bigint AS amount
    FROM units u JOIN fees f ON f.unit_kind = u.kind JOIN factor x ON x.unit_id = u.id
    LEFT JOIN readings m ON m.unit_id = u.id AND m.fee_id = f.id
"""


async def run(session: AsyncSession, estate_id: uuid.UUID, period: str) -> dict:
    """Bill every unit of the estate for the period's fee items in force: invoices, their lines and journal
    entries are each one INSERT … SELECT. Units billed for the period already are left alone."""
    await projections.require_known_estate(session, estate, estate_id, "billing")
    first, last = _month(period)
    now = utcnow()
    params = {
        "estate": estate_id,
        "period": period,
        "first": first,
        "last": last,
        "now": now,
        "due": first + dt.timedelta(days=DUE_DAYS - 1),
        "month": period.replace("-", ""),  # the number carries the period billed: January's are INV-202701-…
    }
    # the period's numbers: the counter stays locked until this run commits (a concurrent run of the estate
    # waits), units billed already are skipped before numbering, so the sequence has no gap
    params["last_number"] = await numbering.lock(session, estate_id, "INV", params["month"])
    new = (
        (
            await session.execute(
                text(f"""
            WITH lines AS ({LINES}), billable AS (
              SELECT unit_id, sum(amount) AS total FROM lines GROUP BY unit_id
            )
            INSERT INTO billing.invoice (id, estate_id, unit_id, number, period, source_kind, state, total_fen, paid_fen,
                                         issued_at, due_on, created_at, updated_at)
            SELECT gen_random_uuid(), :estate, b.unit_id,
                   'INV-' || :month || '-' || lpad((:last_number + row_number() OVER (ORDER BY b.unit_id))::text, 6, '0'),
                   :period, 'periodic', 'issued', b.total, 0, :now, :due, :now, :now
            FROM billable b
            WHERE b.total > 0
              AND NOT EXISTS (SELECT 1 FROM billing.invoice i WHERE i.unit_id = b.unit_id AND i.period = :period)
            ON CONFLICT (unit_id, period) WHERE period IS NOT NULL DO NOTHING
            RETURNING id
            """),
                params,
            )
        )
        .scalars()
        .all()
    )
    await numbering.advance(session, estate_id, "INV", params["month"], len(new))
    if new:
        ids = list(new)
        await session.execute(
            text(f"""
            WITH lines AS ({LINES})
            INSERT INTO billing.invoice_line (id, invoice_id, description, quantity, unit_price, amount_fen, revenue_account, fee_item_id)
            SELECT gen_random_uuid(), i.id, l.description, round(l.quantity, 2), l.unit_price, l.amount, '6001', l.fee_item_id
            FROM lines l JOIN billing.invoice i ON i.unit_id = l.unit_id AND i.period = :period
            WHERE i.id = ANY(:ids) AND l.amount > 0
            """),
            {**params, "ids": ids},
        )
        # one balanced journal entry per invoice: receivable against property-fee revenue
        await session.execute(
            text("""
            WITH e AS (
              INSERT INTO billing.journal_entry (id, estate_id, posted_at, memo, source_kind, source_id)
              SELECT gen_random_uuid(), i.estate_id, :now, i.number || ' ' || :period, 'invoice', i.id
              FROM billing.invoice i WHERE i.id = ANY(:ids)
              RETURNING id, source_id
            )
            INSERT INTO billing.journal_line (id, entry_id, estate_id, account, unit_id, debit_fen, credit_fen)
            SELECT gen_random_uuid(), e.id, i.estate_id, x.account, i.unit_id, x.debit, x.credit
            FROM e JOIN billing.invoice i ON i.id = e.source_id
            CROSS JOIN LATERAL (VALUES ('1122', i.total_fen, 0::bigint), ('6001', 0::bigint, i.total_fen)) AS x(account, debit, credit)
            """),
            {**params, "ids": ids},
        )
        invoices = (  # the ones this run made (issued now): no list of ids as parameters
            (
                await session.execute(
                    select(Invoice).where(
                        Invoice.estate_id == estate_id, Invoice.period == period, Invoice.issued_at == now
                    )
                )
            )
            .scalars()
            .all()
        )
        outbox.record_many(session, [(issued_event(i), i.id) for i in invoices], estate_id=estate_id)
    total = (
        await session.execute(
            text(
                "SELECT count(*), coalesce(sum(total_fen), 0) FROM billing.invoice WHERE estate_id = :estate AND period = :period"
            ),
            params,
        )
    ).one()
    return {"period": period, "new_invoices": len(new), "invoices": total[0], "total_fen": int(total[1])}


async def add_fee_item(session: AsyncSession, estate_id: uuid.UUID, data) -> FeeItem:
    await projections.require_known_estate(session, estate, estate_id, "billing")
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
