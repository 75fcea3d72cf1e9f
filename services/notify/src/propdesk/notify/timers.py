"""What notify does when a durable timer fires: send a held or retried delivery."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timers import BatchTimerHandler, Timer, TimerHandler
from propdesk.notify.service import chain, sending, webhooks
from propdesk.notify.service import digest as digest_service


async def critical_chain(session: AsyncSession, timer: Timer) -> None:
    await chain.step(session, uuid.UUID(timer.payload["message_id"]))


async def send_deliveries(session: AsyncSession, due: list[Timer]) -> None:
    await sending.send_many(session, due)


async def digest(session: AsyncSession, timer: Timer) -> None:
    await digest_service.send_digest(
        session, uuid.UUID(timer.payload["recipient_id"]), timer.payload["category"]
    )


async def webhook(session: AsyncSession, timer: Timer) -> None:
    await webhooks.send(session, uuid.UUID(timer.payload["webhook_delivery_id"]))


HANDLERS: dict[str, TimerHandler] = {
    "critical.chain": critical_chain,
    "digest.send": digest,
    "webhook.send": webhook,
}
BATCH_HANDLERS: dict[str, BatchTimerHandler] = {"delivery.send": send_deliveries}
