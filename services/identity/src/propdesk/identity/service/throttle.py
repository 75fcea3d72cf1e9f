"""Growing delays and hourly budgets per key (an account, an address, a phone number), kept in PostgreSQL so
every identity process sees the same counts."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timeutil import utcnow
from propdesk.identity.models import SCHEMA

HOUR = dt.timedelta(hours=1)
MAX_DELAY = 60  # seconds


def delay_after(failures: int, base: float = 1.0) -> float:
    """1, 2, 4, 8 … seconds (times `base`) after the 1st, 2nd, 3rd … failure in a row, at most a minute."""
    return 0 if failures <= 0 else min(MAX_DELAY, base * 2 ** (failures - 1))


def wait_seconds(until: dt.datetime | None) -> int:
    """Whole seconds until `until` (0 if past)."""
    if until is None:
        return 0
    return max(0, math.ceil((until - utcnow()).total_seconds()))


COUNT = text(f"""
    INSERT INTO {SCHEMA}.throttle AS t (key, window_start, count, next_attempt_at)
    VALUES (:key, :now, 1, :next)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN t.window_start < :now - interval '1 hour' THEN 1 ELSE t.count + 1 END,
        window_start = CASE WHEN t.window_start < :now - interval '1 hour' THEN :now ELSE t.window_start END,
        next_attempt_at = CASE WHEN :grow THEN :now + make_interval(secs => least(60, power(2, least(
            CASE WHEN t.window_start < :now - interval '1 hour' THEN 1 ELSE t.count + 1 END, 7) - 1)))
            ELSE t.next_attempt_at END
    RETURNING count, next_attempt_at
""")


async def count(session: AsyncSession, key: str, *, grow: bool) -> tuple[int, dt.datetime | None]:
    """One more for `key` this hour; with `grow`, the next attempt must also wait (failures)."""
    now = utcnow()
    row = (
        await session.execute(
            COUNT,
            {"key": key, "now": now, "next": now + dt.timedelta(seconds=1) if grow else None, "grow": grow},
        )
    ).one()
    return int(row.count), row.next_attempt_at


async def state(session: AsyncSession, key: str) -> tuple[int, dt.datetime | None]:
    """(count this hour, when the next attempt may come) for `key`."""
    row = (
        await session.execute(
            text(f"SELECT count, window_start, next_attempt_at FROM {SCHEMA}.throttle WHERE key = :key"),
            {"key": key},
        )
    ).first()
    if row is None or row.window_start < utcnow() - HOUR:
        return 0, None
    return int(row.count), row.next_attempt_at


async def clear(session: AsyncSession, key: str) -> None:
    await session.execute(text(f"DELETE FROM {SCHEMA}.throttle WHERE key = :key"), {"key": key})
