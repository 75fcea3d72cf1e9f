"""What incidents does when a durable timer fires: a step's deadline (and each repeat of its escalation)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timers import BatchTimerHandler, Timer, TimerHandler
from propdesk.incidents.service import escalation, outages


async def outage_send(session: AsyncSession, timer: Timer) -> None:
    await outages.send(session, uuid.UUID(timer.payload["outage_id"]), timer.payload["purpose"])


BATCH_HANDLERS: dict[str, BatchTimerHandler] = {"incident.step_due": escalation.on_steps_due}
HANDLERS: dict[str, TimerHandler] = {"outage.send": outage_send}
