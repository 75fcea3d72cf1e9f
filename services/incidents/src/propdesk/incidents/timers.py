"""What incidents does when a durable timer fires: a step's deadline (and each repeat of its escalation)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timers import Timer, TimerHandler
from propdesk.incidents.service import incidents, outages


async def step_due(session: AsyncSession, timer: Timer) -> None:
    await incidents.on_step_due(session, uuid.UUID(timer.payload["incident_id"]), timer.payload["step"])


async def outage_send(session: AsyncSession, timer: Timer) -> None:
    await outages.send(session, uuid.UUID(timer.payload["outage_id"]), timer.payload["purpose"])


HANDLERS: dict[str, TimerHandler] = {"incident.step_due": step_due, "outage.send": outage_send}
