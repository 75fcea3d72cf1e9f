"""A unit's credit (预收款: paid in advance or in excess, held in account 2203) is applied to its open invoices
oldest first whenever invoices are issued to it (a billing run, a one-off charge, a late fee), and before a
refund to the invoices already overdue. Each application is an allocation row of kind `credit` (no payment)
and one balanced journal entry per invoice (credit against receivable), so dunning and late fees only ever
see what is really owed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from propdesk.billing.models import Allocation, Invoice
from propdesk.billing.service import ledger
from propdesk.billing.service.book import OpenBook

CREDITS = text("""
    SELECT unit_id, sum(credit_fen - debit_fen)::bigint AS credit
    FROM billing.journal_line
    WHERE estate_id = :estate AND account = :account AND unit_id IS NOT NULL
      AND (CAST(:units AS uuid[]) IS NULL OR unit_id = ANY(CAST(:units AS uuid[])))
    GROUP BY unit_id HAVING sum(credit_fen - debit_fen) > 0
""")


async def balances(
    session: AsyncSession, estate_id: uuid.UUID, unit_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, int]:
    """The units' credit (only those that have some), from the ledger."""
    rows = await session.execute(CREDITS, {"estate": estate_id, "account": ledger.CREDIT, "units": unit_ids})
    return {unit_id: int(credit) for unit_id, credit in rows.all()}


async def apply(
    session: AsyncSession,
    estate_id: uuid.UUID,
    unit_ids: list[uuid.UUID] | None = None,
    *,
    due_before: dt.date | None = None,
) -> dict[uuid.UUID, int]:
    """Apply the credit of the units (all of the estate's that have some when None) to their open invoices,
    oldest first (only those due before `due_before` when given). Returns what was applied per unit."""
    credits = await balances(session, estate_id, unit_ids)
    if not credits:
        return {}
    # the units' rows are the lock on their credit: two transactions applying or refunding the same credit
    # take turns (in id order, so they cannot deadlock), and the balance is read again under the lock
    await session.execute(
        text("SELECT id FROM billing.unit WHERE id = ANY(:units) ORDER BY id FOR UPDATE"),
        {"units": list(credits)},
    )
    credits = await balances(session, estate_id, list(credits))
    book = await OpenBook.load(session, estate_id, list(credits), due_before=due_before)
    rows: list[tuple[uuid.UUID, uuid.UUID, int]] = []  # (invoice, unit, amount)
    for unit_id, credit in credits.items():
        for invoice in book.by_unit.get(unit_id, ()):
            take = min(credit, invoice.owing)
            if take <= 0:
                continue
            rows.append((invoice.id, unit_id, take))
            invoice.owing -= take
            credit -= take
    if not rows:
        return {}
    params = {"ids": [r[0] for r in rows], "amounts": [r[2] for r in rows], "now": dt.datetime.now(dt.UTC)}
    await session.execute(
        text("""
        INSERT INTO billing.allocation (id, payment_id, invoice_id, amount_fen, kind)
        SELECT gen_random_uuid(), NULL, i, a, 'credit'
        FROM unnest(CAST(:ids AS uuid[]), CAST(:amounts AS bigint[])) AS x(i, a)
        """),
        params,
    )
    await session.execute(
        text("""
        UPDATE billing.invoice i
        SET paid_fen = i.paid_fen + x.a,
            state = CASE WHEN i.paid_fen + x.a + i.written_off_fen = i.total_fen THEN 'paid' ELSE 'partially_paid' END,
            updated_at = :now
        FROM unnest(CAST(:ids AS uuid[]), CAST(:amounts AS bigint[])) AS x(id, a)
        WHERE i.id = x.id
        """),
        params,
    )
    numbers = {i.id: i.number for invoices in book.by_unit.values() for i in invoices}
    batch = ledger.Batch()
    for invoice_id, unit_id, amount in rows:
        batch.add(
            f"预收冲抵 credit applied {numbers[invoice_id]}",
            "credit_applied",
            invoice_id,
            [(ledger.CREDIT, amount, 0, unit_id), (ledger.RECEIVABLE, 0, amount, unit_id)],
        )
    await batch.post(session, estate_id)
    applied: dict[uuid.UUID, int] = {}
    for _, unit_id, amount in rows:
        applied[unit_id] = applied.get(unit_id, 0) + amount
    by_invoice: dict[uuid.UUID, int] = {}
    for invoice_id, _, amount in rows:
        by_invoice[invoice_id] = by_invoice.get(invoice_id, 0) + amount
    for obj in list(session.identity_map.values()):  # invoices the ORM holds: what the UPDATE above made them
        if isinstance(obj, Invoice) and obj.id in by_invoice:
            paid = obj.paid_fen + by_invoice[obj.id]
            set_committed_value(obj, "paid_fen", paid)
            done = paid + obj.written_off_fen == obj.total_fen
            set_committed_value(obj, "state", "paid" if done else "partially_paid")
    return applied


async def unwind(session: AsyncSession, estate_id: uuid.UUID, unit_id: uuid.UUID, amount_fen: int) -> int:
    """Take back up to `amount_fen` of credit already applied to the unit's invoices, newest invoice first
    (a payment whose credit paid them is reversed): negative `credit` allocations reopen those invoices and a
    journal entry puts the amount back in the receivable. Returns what was taken back."""
    rows = (
        await session.execute(
            text("""
            SELECT i.id, i.number, sum(a.amount_fen)::bigint AS applied
            FROM billing.allocation a JOIN billing.invoice i ON i.id = a.invoice_id
            WHERE i.unit_id = :unit AND a.kind = 'credit'
            GROUP BY i.id, i.number, i.issued_at HAVING sum(a.amount_fen) > 0
            ORDER BY i.issued_at DESC, i.number DESC
            """),
            {"unit": unit_id},
        )
    ).all()
    left, taken = amount_fen, []
    for invoice_id, number, applied in rows:
        if left <= 0:
            break
        take = min(left, int(applied))
        taken.append((invoice_id, number, take))
        left -= take
    if not taken:
        return 0
    invoices = {
        i.id: i
        for i in (
            await session.execute(
                select(Invoice).where(Invoice.id.in_([t[0] for t in taken])).with_for_update()
            )
        ).scalars()
    }
    batch = ledger.Batch()
    for invoice_id, number, take in taken:
        invoice = invoices[invoice_id]
        invoice.paid_fen -= take
        invoice.state = "issued" if invoice.paid_fen + invoice.written_off_fen == 0 else "partially_paid"
        session.add(Allocation(payment_id=None, invoice_id=invoice_id, amount_fen=-take, kind="credit"))
        batch.add(
            f"预收冲抵撤回 credit taken back {number}",
            "credit_unwound",
            invoice_id,
            [(ledger.RECEIVABLE, take, 0, unit_id), (ledger.CREDIT, 0, take, unit_id)],
        )
    await session.flush()
    await batch.post(session, estate_id)
    return amount_fen - left
