"""Arrears (欠费): what each unit owes, aged by how long each invoice has been due (0-30, 31-60, 61-90,
90+ days), summed per unit, building and estate in one query over the open invoices."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

BUCKETS = ("0_30", "31_60", "61_90", "90_plus")

AGING = text("""
    WITH owed AS MATERIALIZED (  -- the open invoices, grouped per unit
      SELECT i.unit_id,
             sum(CASE WHEN :today - i.due_on <= 30 THEN x.o ELSE 0 END)::bigint AS b0_30,
             sum(CASE WHEN :today - i.due_on BETWEEN 31 AND 60 THEN x.o ELSE 0 END)::bigint AS b31_60,
             sum(CASE WHEN :today - i.due_on BETWEEN 61 AND 90 THEN x.o ELSE 0 END)::bigint AS b61_90,
             sum(CASE WHEN :today - i.due_on > 90 THEN x.o ELSE 0 END)::bigint AS b90_plus,
             sum(x.o)::bigint AS total, min(i.due_on) AS oldest_due
      FROM billing.invoice i CROSS JOIN LATERAL (SELECT i.total_fen - i.paid_fen - i.written_off_fen AS o) x
      WHERE i.estate_id = :estate AND i.state IN ('issued', 'partially_paid') AND i.due_on < :today
      GROUP BY i.unit_id HAVING sum(x.o) > 0
    ), placed AS MATERIALIZED (
      SELECT o.*, u.number, u.building_id FROM owed o JOIN billing.unit u ON u.id = o.unit_id
      WHERE CAST(:building AS uuid) IS NULL OR u.building_id = CAST(:building AS uuid)
    )
    (SELECT 'sum' AS kind, building_id, NULL::uuid AS unit_id, NULL::text AS number, count(*) AS units,
            sum(b0_30)::bigint AS b0_30, sum(b31_60)::bigint AS b31_60, sum(b61_90)::bigint AS b61_90,
            sum(b90_plus)::bigint AS b90_plus, sum(total)::bigint AS total, min(oldest_due) AS oldest_due
     FROM placed GROUP BY GROUPING SETS ((building_id), ()))
    UNION ALL
    (SELECT 'unit', building_id, unit_id, number, 1, b0_30, b31_60, b61_90, b90_plus, total, oldest_due
     FROM placed ORDER BY total DESC, number LIMIT :limit)
""")


async def aging(
    session: AsyncSession,
    estate_id: uuid.UUID,
    today: dt.date,
    *,
    building_id: uuid.UUID | None = None,
    limit: int | None = None,
) -> dict:
    """Totals for the estate and each building over every unit in arrears, and the units themselves
    (largest first) cut to `limit`: all summed in PostgreSQL, so only the rows shown cross the wire."""
    rows = (
        await session.execute(
            AGING, {"estate": estate_id, "today": today, "building": building_id, "limit": limit}
        )
    ).all()

    def amounts(r) -> dict:
        return {**{b: r[5 + n] or 0 for n, b in enumerate(BUCKETS)}, "total_fen": r.total or 0}

    estate = {"units": 0, **dict.fromkeys(BUCKETS, 0), "total_fen": 0}
    buildings, units = [], []
    for r in rows:
        if r.kind == "unit":
            units.append(
                {
                    "unit_id": str(r.unit_id),
                    "number": r.number,
                    "building_id": str(r.building_id),
                    **amounts(r),
                    "oldest_due_on": r.oldest_due.isoformat(),
                }
            )
        elif r.building_id is None:
            estate = {"units": r.units, **amounts(r)}
        else:
            buildings.append({"building_id": str(r.building_id), "units": r.units, **amounts(r)})
    buildings.sort(key=lambda b: (-b["total_fen"], b["building_id"]))
    units.sort(key=lambda u: (-u["total_fen"], u["number"]))
    return {"as_of": today.isoformat(), "estate": estate, "buildings": buildings, "units": units}
