"""What repairs does when a durable timer fires: SLA points (50%, 80%, breach), auto-close of completed
orders, preventive maintenance generation and missed-visit checks."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timers import BatchTimerHandler, Timer, TimerHandler
from propdesk.repairs.service import deadlines, maintenance


async def autoclose(session: AsyncSession, timer: Timer) -> None:
    await deadlines.on_autoclose(session, uuid.UUID(timer.payload["work_order_id"]))


async def pm_generate(session: AsyncSession, timer: Timer) -> None:
    await maintenance.generate(session, uuid.UUID(timer.payload["schedule_id"]))


async def pm_missed(session: AsyncSession, timer: Timer) -> None:
    p = timer.payload
    await maintenance.check_missed(session, uuid.UUID(p["schedule_id"]), uuid.UUID(p["work_order_id"]))


BATCH_HANDLERS: dict[str, BatchTimerHandler] = {"wo.sla": deadlines.on_sla_due}
HANDLERS: dict[str, TimerHandler] = {
    "wo.autoclose": autoclose,
    "pm.generate": pm_generate,
    "pm.missed": pm_missed,
}
