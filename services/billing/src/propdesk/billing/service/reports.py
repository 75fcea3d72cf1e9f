"""Finance reports: the collection rate (收缴率) per month — what was billed for a period against what of it
has been paid — revenue by fee item, and exports of them (and of the arrears list) as CSV or XLSX."""

from __future__ import annotations

import csv
import io
import uuid

from openpyxl import Workbook
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import LedgerAccount
from propdesk.billing.service import arrears, ledger, reconciliation
from propdesk.common.tables import cell, cells
from propdesk.common.timeutil import to_local, utcnow

COLLECTION = text("""
    SELECT period, count(*) AS invoices, sum(total_fen) AS billed, sum(paid_fen) AS paid
    FROM billing.invoice WHERE estate_id = :estate AND source_kind = 'periodic' AND state <> 'void'
    GROUP BY period ORDER BY period
""")
REVENUE = text("""
    SELECT coalesce(f.code, l.revenue_account) AS item, coalesce(f.name, a.name_zh, l.description) AS name,
           i.period, l.revenue_account AS account, sum(l.amount_fen) AS amount
    FROM billing.invoice_line l JOIN billing.invoice i ON i.id = l.invoice_id
    LEFT JOIN billing.fee_item f ON f.id = l.fee_item_id
    LEFT JOIN billing.ledger_account a ON a.estate_id = i.estate_id AND a.code = l.revenue_account
    WHERE i.estate_id = :estate AND i.state <> 'void' AND (CAST(:period AS text) IS NULL OR i.period = :period)
    GROUP BY 1, 2, 3, 4 ORDER BY 3 NULLS LAST, 1
""")


async def collection(session: AsyncSession, estate_id: uuid.UUID) -> list[dict]:
    return [
        {
            "period": r.period,
            "invoices": r.invoices,
            "billed_fen": int(r.billed),
            "paid_fen": int(r.paid),
            "collection_rate": round(int(r.paid) / int(r.billed), 4) if r.billed else None,
        }
        for r in (await session.execute(COLLECTION, {"estate": estate_id})).all()
    ]


async def revenue(session: AsyncSession, estate_id: uuid.UUID, period: str | None) -> list[dict]:
    rows = (await session.execute(REVENUE, {"estate": estate_id, "period": period})).all()
    return [
        {
            "item": r.item,
            "name": r.name,
            "period": r.period,
            "account": r.account,
            "amount_fen": int(r.amount),
        }
        for r in rows
    ]


def export(rows: list[dict], fmt: str, title: str) -> tuple[bytes, str]:
    header = list(rows[0]) if rows else ["empty"]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerows({k: cell(v) for k, v in r.items()} for r in rows)
        return ("\ufeff" + out.getvalue()).encode(), "text/csv; charset=utf-8"
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(cells(row.get(h) for h in header))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


NAMES = ("collection", "revenue", "revenue-by-account", "arrears", "trial-balance", "reconciliation")


async def revenue_by_account(session: AsyncSession, estate_id: uuid.UUID, period: str | None) -> list[dict]:
    """Revenue as the ledger recognised it, per revenue account of the chart: the period's credits less its
    debits (a void or a waiver takes revenue back), from the same figures as the trial balance."""
    kinds = dict(
        (
            await session.execute(
                select(LedgerAccount.code, LedgerAccount.kind).where(LedgerAccount.estate_id == estate_id)
            )
        ).all()
    )
    tb = await ledger.trial_balance(session, estate_id, period)
    return [
        {
            "account": a["account"],
            "name_zh": a["name_zh"],
            "name_en": a["name_en"],
            "period": period,
            "revenue_fen": a["credit_fen"] - a["debit_fen"],
        }
        for a in tb["accounts"]
        if kinds.get(a["account"]) == "revenue"
    ]


async def report(session: AsyncSession, estate_id: uuid.UUID, name: str, period: str | None) -> list[dict]:
    """A finance report by name, as rows."""
    if name == "collection":
        return await collection(session, estate_id)
    if name == "revenue":
        return await revenue(session, estate_id, period)
    if name == "revenue-by-account":
        return await revenue_by_account(session, estate_id, period)
    if name == "reconciliation":
        return [reconciliation.flat(d) for d in await reconciliation.daily_report(session, estate_id)]
    if name == "arrears":
        return (await arrears.aging(session, estate_id, to_local(utcnow()).date()))["units"]
    return (await ledger.trial_balance(session, estate_id, period))["accounts"]
