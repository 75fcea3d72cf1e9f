"""Events produced by repairs."""

from __future__ import annotations

import datetime
import uuid

from propdesk.common.events import EventPayload, event


@event(
    "repairs.estate.provisioned",
    summary="repairs has its projection of a newly registered estate and set up its default SLA policy (emergency on site 30 min, urgent response 15 min, normal accepted 2 h, done in 3 business days).",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "repairs"
    detail: dict[str, str | int | bool] = {}


@event(
    "repairs.work_order.created",
    summary="repairs opened a work order; request_id links it to the desk's repair request, if any.",
)
class WorkOrderCreated(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    request_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    category: str
    urgency: str


@event(
    "repairs.work_order.assigned",
    notifies=True,
    summary="A technician was assigned a work order; the technician and the resident who reported it are told.",
)
class WorkOrderAssigned(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    technician_id: uuid.UUID
    technician_name: str
    resident_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    location: str = ""
    category: str
    urgency: str
    description: str = ""


@event(
    "repairs.work_order.completed",
    summary="A technician completed a work order; intake schedules the follow-up (回访).",
)
class WorkOrderCompleted(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    category: str
    urgency: str
    technician_id: uuid.UUID | None = None
    completed_at: datetime.datetime
