"""Arrears (欠费): what each unit owes, aged by how long each invoice has been due (0-30, 31-60, 61-90,
90+ days), summed per unit, building and estate in one query over the open invoices."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

BUCKETS = ("0_30", "31_60", "61_90", "90_plus")

AGING = text("""
    WITH owed AS (  -- an index-only scan of the open invoices (ix_invoice_open_by_due), grouped per unit
      SELECT i.unit_id,
             sum(CASE WHEN :today - i.due_on <= 30 THEN x.o ELSE 0 END) AS b0_30,
             sum(CASE WHEN :today - i.due_on BETWEEN 31 AND 60 THEN x.o ELSE 0 END) AS b31_60,
             sum(CASE WHEN :today - i.due_on BETWEEN 61 AND 90 THEN x.o ELSE 0 END) AS b61_90,
             sum(CASE WHEN :today - i.due_on > 90 THEN x.o ELSE 0 END) AS b90_plus,
             sum(x.o) AS total, min(i.due_on) AS oldest_due
      FROM billing.invoice i CROSS JOIN LATERAL (SELECT i.total_fen - i.paid_fen - i.written_off_fen AS o) x
      WHERE i.estate_id = :estate AND i.state IN ('issued', 'partially_paid') AND i.due_on < :today
      GROUP BY i.unit_id
    )
    SELECT u.id AS unit_id, u.number, u.building_id, owed.*
    FROM owed JOIN billing.unit u ON u.id = owed.unit_id
    WHERE owed.total > 0
    ORDER BY owed.total DESC, u.number
""")


async def aging(
    session: AsyncSession,
    estate_id: uuid.UUID,
    today: dt.date,
    *,
    building_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> dict:
    """Totals for the estate and each building over every unit in arrears; the unit list itself (largest
    first) cut to `limit`."""
    rows = (await session.execute(AGING, {"estate": estate_id, "today": today})).mappings().all()
    units = [
        {
            "unit_id": str(r["unit_id"]),
            "number": r["number"],
            "building_id": str(r["building_id"]),
            **{b: int(r[f"b{b}"]) for b in BUCKETS},
            "total_fen": int(r["total"]),
            "oldest_due_on": r["oldest_due"].isoformat(),
        }
        for r in rows
        if building_id is None or r["building_id"] == building_id
    ]
    buildings: dict[str, dict] = {}
    for u in units:
        b = buildings.setdefault(
            u["building_id"],
            {"building_id": u["building_id"], "units": 0, **dict.fromkeys(BUCKETS, 0), "total_fen": 0},
        )
        b["units"] += 1
        for key in (*BUCKETS, "total_fen"):
            b[key] += u[key]
    estate = {
        "units": len(units),
        **{b: sum(u[b] for u in units) for b in BUCKETS},
        "total_fen": sum(u["total_fen"] for u in units),
    }
    return {
        "as_of": today.isoformat(),
        "estate": estate,
        "buildings": list(buildings.values()),
        "units": units[:limit] if limit is not None else units,
    }
