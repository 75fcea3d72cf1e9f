"""What time does to work orders: SLA points (50%, 80%, breach) fire warnings and breaches, a completed order
closes itself after the confirmation period, and a bad follow-up score reopens the order."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.contracts import repairs as ev
from propdesk.common.timeutil import utcnow
from propdesk.repairs.models import WorkOrder, WorkOrderReporter
from propdesk.repairs.service import clocks, states, timeline, transitions


async def on_sla_due(session: AsyncSession, batch: list[timers.Timer]) -> None:
    """Every due SLA point at once (a batch handler): one query for the orders, one for their reporters, the
    events in bulk, the timers moved to their next points. An order a request holds locked keeps its timer,
    retried a second later."""
    orders = await timers.lock_for_batch(session, WorkOrder, batch, "work_order_id")
    reporters: dict[uuid.UUID, list[uuid.UUID]] = {i: [] for i in orders}
    for wo_id, resident_id in await session.execute(
        select(WorkOrderReporter.work_order_id, WorkOrderReporter.resident_id)
        .where(WorkOrderReporter.work_order_id.in_(list(orders)), WorkOrderReporter.resident_id.is_not(None))
        .order_by(WorkOrderReporter.reported_at)
    ):
        if resident_id not in reporters[wo_id]:
            reporters[wo_id].append(resident_id)
    now, touched, events = utcnow(), {}, []
    for t in batch:
        wo = orders.get(uuid.UUID(t.payload["work_order_id"]))
        if wo is None or wo.state in states.DONE:
            continue
        running = touched.get(wo.id) or clocks.load(wo)
        milestone, point = t.payload["milestone"], t.payload["point"]
        clock = running.get(milestone)
        if clock is None or clock.met_at is not None or clock.paused_at is not None:
            continue
        due = clock.due_at(clocks.CAL)
        base = await timeline.ref(session, wo, reporters[wo.id])
        if point == "breach":
            if clock.breached_at is None and due is not None and now >= due:
                clock.breached_at, wo.breached = now, True
                timeline.entry(
                    session, wo, "sla_breached", "system", None, milestone=milestone, due_at=due.isoformat()
                )
                events.append((wo, ev.WorkOrderSlaBreached(**base, milestone=milestone, due_at=due)))
        elif (threshold := float(point)) not in clock.warned:
            clock.warned.append(threshold)
            timeline.entry(
                session, wo, "sla_warning", "system", None, milestone=milestone, threshold=threshold
            )
            events.append(
                (wo, ev.WorkOrderSlaWarning(**base, milestone=milestone, threshold=threshold, due_at=due))
            )
        touched[wo.id] = running
    for wo_id, running in touched.items():
        clocks.store(orders[wo_id], running)
    clocks.arm_many(session, [(orders[i], running) for i, running in touched.items()])
    await session.flush()
    for estate_id in {wo.estate_id for wo, _ in events}:
        outbox.record_many(
            session, [(e, wo.id) for wo, e in events if wo.estate_id == estate_id], estate_id=estate_id
        )


async def on_autoclose(session: AsyncSession, work_order_id: uuid.UUID) -> None:
    wo = await timers.lock_or_defer(session, WorkOrder, work_order_id)
    if wo is not None and wo.state == "completed":
        await transitions.close(
            session, wo, actor="system", note="no answer from the resident within the confirmation period"
        )


async def reopen_from_follow_up(
    session: AsyncSession, work_order_id: uuid.UUID, score: int, complaint: str
) -> None:
    wo = await session.get(WorkOrder, work_order_id, with_for_update=True)
    if wo is None or wo.state not in states.TRANSITIONS["reopen"][0]:
        return
    await transitions.reopen(
        session, wo, principal=None, note=f"follow-up score {score}; complaint {complaint}"
    )
