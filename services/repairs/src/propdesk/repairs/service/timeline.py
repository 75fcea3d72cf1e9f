"""A work order's timeline and the events it records: who did what, when, with which note."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, uow
from propdesk.common.auth import Principal
from propdesk.common.events import EventPayload
from propdesk.repairs.models import WorkOrder, WorkOrderEntry, WorkOrderReporter


def actor_of(principal: Principal | None) -> str:
    return "system" if principal is None else (principal.name or principal.sub)


def entry(
    session: AsyncSession,
    wo: WorkOrder,
    kind: str,
    actor: str,
    note: str | None = None,
    *,
    before=None,
    **data,
) -> None:
    """A timeline entry, staged in the unit of work (entries are only ever added)."""
    uow.add(
        session,
        WorkOrderEntry(
            work_order_id=wo.id,
            kind=kind,
            from_state=before,
            to_state=wo.state if before is not None else None,
            actor=actor,
            note=note,
            data={k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in data.items()},
        ),
    )


def record(session: AsyncSession, wo: WorkOrder, event: EventPayload) -> None:
    outbox.record(session, event, aggregate_id=wo.id, estate_id=wo.estate_id)


async def reporter_ids(session: AsyncSession, wo: WorkOrder) -> list[uuid.UUID]:
    rows = await session.execute(
        select(WorkOrderReporter.resident_id)
        .where(WorkOrderReporter.work_order_id == wo.id, WorkOrderReporter.resident_id.is_not(None))
        .order_by(WorkOrderReporter.reported_at)
    )
    staged = [r.resident_id for r in uow.added(session, WorkOrderReporter) if r.work_order_id == wo.id]
    return list(dict.fromkeys([*rows.scalars(), *(r for r in staged if r is not None)]))


async def ref(session: AsyncSession, wo: WorkOrder, reporters: list[uuid.UUID] | None = None) -> dict:
    """The fields every event about the order carries."""
    return {
        "work_order_id": wo.id,
        "estate_id": wo.estate_id,
        "reference": wo.reference,
        "unit_id": wo.unit_id,
        "place_id": wo.place_id,
        "building_id": wo.building_id,
        "location": wo.location,
        "category": wo.category,
        "urgency": wo.urgency,
        "technician_id": wo.technician_id,
        "reporter_ids": reporters if reporters is not None else await reporter_ids(session, wo),
    }
