"""Gapless numbers per estate and period: INV-<period billed>-000001 for invoices, RCP-<month>-000001 for
receipts. A number is taken inside the issuing transaction from a counter row that stays locked until the
commit, so a transaction that rolls back (or an idempotent repeat that issues nothing) uses no number, and
Chinese accounting's unbroken sequence per period holds. Concurrent issuers of one estate and period take
turns on that row."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.ids import human_ref


async def take(
    session: AsyncSession, estate_id: uuid.UUID, kind: str, period: str, count: int = 1
) -> list[str]:
    """`count` consecutive numbers of `kind` for `period` (YYYYMM)."""
    if count <= 0:
        return []
    last = (
        await session.execute(
            text("""
            INSERT INTO billing.number_counter (estate_id, kind, period, last) VALUES (:estate, :kind, :period, :n)
            ON CONFLICT (estate_id, kind, period) DO UPDATE SET last = billing.number_counter.last + :n
            RETURNING last
            """),
            {"estate": estate_id, "kind": kind, "period": period, "n": count},
        )
    ).scalar_one()
    return [human_ref(kind, period, n) for n in range(last - count + 1, last + 1)]


async def lock(session: AsyncSession, estate_id: uuid.UUID, kind: str, period: str) -> int:
    """Lock the counter (made at 0 if new) and return its last number: the caller then numbers rows itself
    from last + 1 and calls `advance` with how many it used, before its transaction commits."""
    await session.execute(
        text("""
        INSERT INTO billing.number_counter (estate_id, kind, period, last) VALUES (:estate, :kind, :period, 0)
        ON CONFLICT (estate_id, kind, period) DO NOTHING
        """),
        {"estate": estate_id, "kind": kind, "period": period},
    )
    return (
        await session.execute(
            text("""
            SELECT last FROM billing.number_counter
            WHERE estate_id = :estate AND kind = :kind AND period = :period FOR UPDATE
            """),
            {"estate": estate_id, "kind": kind, "period": period},
        )
    ).scalar_one()


async def advance(session: AsyncSession, estate_id: uuid.UUID, kind: str, period: str, used: int) -> None:
    if used:
        await session.execute(
            text("""
            UPDATE billing.number_counter SET last = last + :n
            WHERE estate_id = :estate AND kind = :kind AND period = :period
            """),
            {"estate": estate_id, "kind": kind, "period": period, "n": used},
        )
