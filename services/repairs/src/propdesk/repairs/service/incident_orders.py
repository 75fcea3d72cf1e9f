"""Work that an incident's playbook asks for: a step such as "restore the water supply" becomes a work order
(once per step: its request id), located where the incident is; and the incident's end is heard by its orders
(resolved or closed: on their timeline; cancelled: those not yet under way are cancelled)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.contracts.incidents import IncidentStateChanged, RepairRequested
from propdesk.repairs.models import Unit, WorkOrder
from propdesk.repairs.service import reporting, states, timeline, transitions

NOT_UNDER_WAY = states.TRANSITIONS["cancel"][0]


async def requested(session: AsyncSession, event: RepairRequested) -> None:
    if event.unit_id is not None and await session.get(Unit, event.unit_id) is None:
        raise LookupError(f"{event.reference}: unit {event.unit_id} is not known to repairs yet")
    await reporting.report(
        session,
        event.estate_id,
        unit_id=event.unit_id,
        place_id=event.place_id if event.unit_id is None else None,
        category=event.category,
        problem=event.problem,
        urgency=event.urgency,
        description=f"{event.description}（{event.reference}）",
        photos=[],
        source="incident",
        reporter_resident_id=None,
        reporter_name=event.reference,
        reporter_phone=None,
        request_id=event.request_id,
        actor="incidents",
        incident=(event.incident_id, event.building_id, event.location or event.title),
    )


async def incident_changed(session: AsyncSession, event: IncidentStateChanged) -> None:
    if event.state not in ("resolved", "closed", "cancelled"):
        return
    orders = (
        await session.execute(
            select(WorkOrder)
            .where(WorkOrder.incident_id == event.incident_id, WorkOrder.open.is_(True))
            .with_for_update()
        )
    ).scalars()
    for wo in orders:
        if event.state == "cancelled" and wo.state in NOT_UNDER_WAY:
            await transitions.cancel(
                session, wo, principal=None, reason=f"事件 {event.reference} 已取消 / incident cancelled"
            )
        else:
            timeline.entry(session, wo, f"incident_{event.state}", "incidents", event.reference)
    await session.flush()
