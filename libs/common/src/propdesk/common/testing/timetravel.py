"""Move recorded time back instead of sleeping: shift stored clock anchors and due timers by the same
amount, then let the real timer worker fire them."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def shift_clocks(clocks: dict, by: dt.timedelta) -> dict:
    shifted = {}
    for milestone, clock in clocks.items():
        clock = dict(clock)
        for key in ("started_at", "anchor", "paused_at", "met_at", "breached_at"):
            if clock.get(key):
                clock[key] = (dt.datetime.fromisoformat(clock[key]) - by).isoformat()
        shifted[milestone] = clock
    return shifted


async def backdate(
    engine: AsyncEngine, *, schema: str, table: str, row_id, timer_key_prefix: str, by: dt.timedelta
) -> None:
    """Make `by` pass for one row with SLA clocks (a JSONB `clocks` column) and its timers."""
    async with engine.begin() as conn:
        clocks = (
            await conn.execute(text(f'SELECT clocks FROM {schema}."{table}" WHERE id = :id'), {"id": row_id})
        ).scalar_one()
        await conn.execute(
            text(
                f'UPDATE {schema}."{table}" SET clocks = CAST(:c AS jsonb), '
                f"created_at = created_at - CAST(:by AS interval) WHERE id = :id"
            ),
            {"c": json.dumps(shift_clocks(clocks, by)), "by": by, "id": row_id},
        )
        await conn.execute(
            text(f"UPDATE {schema}.timer SET due_at = due_at - CAST(:by AS interval) WHERE key LIKE :k"),
            {"by": by, "k": timer_key_prefix + "%"},
        )
