"""Incidents and repairs together: a playbook's `repair` step (restore the water supply after an outage) asks
repairs for a work order when the incident starts; the step shows the order once repairs opened it, and
completes when repairs completes it (while the incident is still running)."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts import incidents as ev
from propdesk.common.contracts.repairs import WorkOrderCompleted, WorkOrderCreated
from propdesk.incidents.models import Incident, IncidentStep
from propdesk.incidents.playbook import Playbook
from propdesk.incidents.service.incidents import STEP_ACTIONS, entry, record_step, ref

NAMESPACE = uuid.UUID("6d1c8f0e-3b57-4a8e-9a49-3f1f2f6d5e21")


def request_id(incident_id: uuid.UUID, step: str) -> uuid.UUID:
    """The same request for the same step, always (repairs opens one order for it, whatever is redelivered)."""
    return uuid.uuid5(NAMESPACE, f"{incident_id}:{step}")


def request(session: AsyncSession, incident: Incident, book: Playbook, steps: list[IncidentStep]) -> None:
    """When the incident starts: each `repair` step asks repairs for its work order, located where the
    incident is (its unit, its place, else its building)."""
    by_key = {s.key: s for s in steps}
    for step in book.steps:
        if step.kind != "repair" or step.work_order is None:
            continue
        spec, row = step.work_order, by_key[step.key]
        row.work_order_request_id = request_id(incident.id, step.key)
        outbox.record(
            session,
            ev.RepairRequested(
                **ref(incident),
                step=step.key,
                request_id=row.work_order_request_id,
                category=spec.category,
                problem=spec.problem,
                urgency=spec.urgency,
                description=spec.description.zh,
                unit_id=incident.unit_id,
                place_id=incident.place_id,
            ),
            aggregate_id=incident.id,
            estate_id=incident.estate_id,
        )


async def _step(session: AsyncSession, *clauses) -> tuple[Incident, IncidentStep] | tuple[None, None]:
    step = (
        await session.execute(select(IncidentStep).where(or_(*clauses)).with_for_update().limit(1))
    ).scalar()
    if step is None:
        return None, None
    return await session.get(Incident, step.incident_id, with_for_update=True), step


async def created(session: AsyncSession, event: WorkOrderCreated) -> None:
    if event.request_id is None:
        return
    incident, step = await _step(session, IncidentStep.work_order_request_id == event.request_id)
    if step is None:
        return  # another request's order (the desk's, a resident's)
    step.work_order_id, step.work_order_reference = event.work_order_id, event.reference
    entry(session, incident, "work_order_opened", "repairs", event.reference, step=step.key)
    await session.flush()


async def completed(session: AsyncSession, event: WorkOrderCompleted) -> None:
    clauses = [IncidentStep.work_order_id == event.work_order_id]
    if event.request_id is not None:
        clauses.append(IncidentStep.work_order_request_id == event.request_id)
    incident, step = await _step(session, *clauses)
    if step is None:
        return
    entry(
        session,
        incident,
        "work_order_completed",
        "repairs",
        event.notes or None,
        step=step.key,
        work_order=event.reference,
    )
    if incident.active and incident.state != "resolved" and step.state in STEP_ACTIONS["complete"]:
        await record_step(session, incident, step, "complete", actor=f"repairs {event.reference}", note=None)
    await session.flush()
