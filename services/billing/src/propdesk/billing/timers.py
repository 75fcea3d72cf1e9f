"""What billing does when a durable timer fires: the estate's daily run (late fees, dunning)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.service import collection
from propdesk.common.timers import Timer, TimerHandler


async def daily(session: AsyncSession, timer: Timer) -> None:
    await collection.on_daily(session, uuid.UUID(timer.payload["estate_id"]), timer.payload["tz"])


HANDLERS: dict[str, TimerHandler] = {"billing.daily": daily}
