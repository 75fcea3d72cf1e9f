"""Assignment: the dispatch decision applied to an order (automatic, or the dispatcher's choice), with its
clocks, timeline and event; when nobody fits, the order says why and the dispatchers hear of it."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.contracts import repairs as ev
from propdesk.common.sla import Clock
from propdesk.common.timeutil import utcnow
from propdesk.repairs.models import WorkOrder
from propdesk.repairs.service import clocks, dispatch, estates, states, timeline
from propdesk.repairs.service.dispatch import TechnicianView


async def dispatch_order(
    session: AsyncSession,
    wo: WorkOrder,
    running: dict[str, Clock],
    now: dt.datetime,
    *,
    actor: str,
    reporters: list[uuid.UUID],
) -> TechnicianView | None:
    """Pick a technician (skill, shift, load, distance) and assign the order in memory (state, clocks,
    timeline, event); None when nobody fits. The caller arms the clocks."""
    tz = await estates.timezone_of(session, wo.estate_id)
    ranked, why = await dispatch.candidates(session, wo, now, tz)
    if not ranked:
        if wo.state in ("reported", "reopened"):
            before, wo.state = wo.state, "triaged"
            clocks.meet(running, states.MEETS["triage"], now)
            clocks.store(wo, running)
            timeline.entry(session, wo, "triage", actor, None, before=before)
        wo.unassignable_reason = why[:500] if why else "unassignable"
        timeline.entry(session, wo, "unassignable", actor, why)
        timeline.record(
            session, wo, ev.WorkOrderUnassignable(**await timeline.ref(session, wo, reporters), reason=why)
        )
        return None
    chosen = ranked[0]
    _assign(
        session,
        wo,
        chosen.technician,
        running,
        now,
        actor=actor,
        note=None,
        auto=True,
        load=chosen.load,
        reporters=reporters,
    )
    return chosen.technician


async def auto_assign(
    session: AsyncSession, wo: WorkOrder, *, actor: str, reporters: list[uuid.UUID] | None = None
) -> TechnicianView | None:
    """Dispatch an existing order now (after a decline, a reopening, or on the dispatcher's request)."""
    now, running = utcnow(), clocks.load(wo)
    if reporters is None:
        reporters = await timeline.reporter_ids(session, wo)
    tech = await dispatch_order(session, wo, running, now, actor=actor, reporters=reporters)
    clocks.arm(session, wo, running)
    await session.flush()
    return tech


async def assign_to(session: AsyncSession, wo: WorkOrder, tech, *, actor: str, note: str | None) -> None:
    """The dispatcher's own choice of technician (already checked as qualified)."""
    now, running = utcnow(), clocks.load(wo)
    reporters = await timeline.reporter_ids(session, wo)
    _assign(
        session, wo, tech, running, now, actor=actor, note=note, auto=False, load=None, reporters=reporters
    )
    clocks.arm(session, wo, running)
    await session.flush()


def _assign(
    session: AsyncSession,
    wo: WorkOrder,
    tech,
    running: dict[str, Clock],
    now: dt.datetime,
    *,
    actor: str,
    note: str | None,
    auto: bool,
    load: int | None,
    reporters: list[uuid.UUID],
) -> None:
    before, previous = wo.state, wo.technician_id
    clocks.meet(running, states.MEETS["assign"], now)
    wo.state, wo.technician_id, wo.assigned_at = "assigned", tech.id, now
    wo.unassignable_reason = None
    dispatch.count_assignment(session, wo.estate_id, tech.id, previous if before in dispatch.BUSY else None)
    clocks.store(wo, running)
    timeline.entry(
        session,
        wo,
        "reassign" if previous is not None and previous != tech.id else "assign",
        actor,
        note,
        before=before,
        technician=tech.name,
        technician_id=tech.id,
        auto=auto,
        load=load,
    )
    timeline.record(
        session,
        wo,
        ev.WorkOrderAssigned(
            work_order_id=wo.id,
            estate_id=wo.estate_id,
            reference=wo.reference,
            technician_id=tech.id,
            technician_name=tech.name,
            resident_id=wo.reporter_resident_id,
            unit_id=wo.unit_id,
            location=wo.location,
            category=wo.category,
            urgency=wo.urgency,
            description=wo.description,
            reporter_ids=reporters,
        ),
    )
