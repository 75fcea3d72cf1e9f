"""What intake does when a durable timer fires."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.timers import Timer, TimerHandler
from propdesk.intake.service import cases, desk, followups, vacant, violations, visitors


async def case_sla_warn(session: AsyncSession, timer: Timer) -> None:
    await cases.on_timer(
        session,
        case_id=uuid.UUID(timer.payload["case_id"]),
        milestone=timer.payload["milestone"],
        kind="warn",
    )


async def case_sla_breach(session: AsyncSession, timer: Timer) -> None:
    await cases.on_timer(
        session,
        case_id=uuid.UUID(timer.payload["case_id"]),
        milestone=timer.payload["milestone"],
        kind="breach",
    )


async def callback_due(session: AsyncSession, timer: Timer) -> None:
    await desk.callback_due(session, uuid.UUID(timer.payload["callback_id"]))


async def visit_overstay(session: AsyncSession, timer: Timer) -> None:
    await visitors.overstay_due(session, uuid.UUID(timer.payload["visit_id"]))


async def follow_up_due(session: AsyncSession, timer: Timer) -> None:
    await followups.on_due(session, uuid.UUID(timer.payload["follow_up_id"]))


async def violation_deadline(session: AsyncSession, timer: Timer) -> None:
    await violations.on_deadline(session, uuid.UUID(timer.payload["violation_id"]))


async def vacant_inspection_due(session: AsyncSession, timer: Timer) -> None:
    await vacant.on_due(session, uuid.UUID(timer.payload["unit_id"]))


HANDLERS: dict[str, TimerHandler] = {
    "follow_up.due": follow_up_due,
    "violation.deadline": violation_deadline,
    "vacant.inspection.due": vacant_inspection_due,
    "visit.overstay": visit_overstay,
    "case.sla.warn": case_sla_warn,
    "case.sla.breach": case_sla_breach,
    "callback.due": callback_due,
}
