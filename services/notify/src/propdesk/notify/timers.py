"""What notify does when a durable timer fires: send a held or retried delivery."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timers import Timer, TimerHandler
from propdesk.notify.service import delivery


async def send_delivery(session: AsyncSession, timer: Timer) -> None:
    await delivery.send(session, uuid.UUID(timer.payload["delivery_id"]))


async def critical_chain(session: AsyncSession, timer: Timer) -> None:
    await delivery.chain_step(session, uuid.UUID(timer.payload["message_id"]))


HANDLERS: dict[str, TimerHandler] = {"delivery.send": send_delivery, "critical.chain": critical_chain}
