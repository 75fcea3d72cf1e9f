"""Events produced by repairs."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event, personal


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
    technician_name: str = personal()
    resident_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    location: str = ""
    category: str
    urgency: str
    description: str = ""
    reporter_ids: list[uuid.UUID] = Field(
        default=[], description="every resident who reported it (duplicates linked to this order included)"
    )


@event(
    "repairs.work_order.completed",
    summary="A technician completed a work order; intake schedules the follow-up (回访); the reporters are "
    "asked to confirm.",
    notifies=True,
)
class WorkOrderCompleted(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    request_id: uuid.UUID | None = None  # what asked for it: the desk's request, an incident step's
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    category: str
    urgency: str
    technician_id: uuid.UUID | None = None
    completed_at: datetime.datetime
    reporter_ids: list[uuid.UUID] = []
    notes: str = ""


class WorkOrderRef(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    building_id: uuid.UUID | None = None
    location: str = ""
    category: str
    urgency: str
    technician_id: uuid.UUID | None = None
    reporter_ids: list[uuid.UUID] = []


@event(
    "repairs.work_order.unassignable",
    summary="Automatic dispatch found nobody (skill, certificate, shift): the dispatchers are alerted.",
    notifies=True,
)
class WorkOrderUnassignable(WorkOrderRef):
    reason: str


@event(
    "repairs.work_order.progressed",
    summary="A work order moved on (accepted, en route, on site, paused, resumed, reopened, cancelled, "
    "closed); every reporter hears of it.",
    notifies=True,
)
class WorkOrderProgressed(WorkOrderRef):
    stage: Literal["accepted", "en_route", "on_site", "paused", "resumed", "reopened", "cancelled", "closed"]
    note: str | None = None


@event(
    "repairs.work_order.sla_warning",
    summary="A work order's milestone used 50% or 80% of its target (staff get these in a digest).",
    notifies=True,
)
class WorkOrderSlaWarning(WorkOrderRef):
    milestone: Literal["acknowledge", "dispatch", "arrive", "complete"]
    threshold: float
    due_at: datetime.datetime


@event(
    "repairs.work_order.sla_breached",
    summary="A work order's milestone missed its target.",
    notifies=True,
)
class WorkOrderSlaBreached(WorkOrderRef):
    milestone: Literal["acknowledge", "dispatch", "arrive", "complete"]
    due_at: datetime.datetime


class ChargeLine(EventPayload):
    kind: Literal["part", "labour"]
    description: str
    quantity: str = Field(description="decimal quantity, e.g. '2' or '1.5' (hours)")
    unit_price_fen: int
    amount_fen: int


@event(
    "repairs.charge.raised",
    summary="A payable (in-unit) work order was completed: parts and labour in fen, which billing turns into "
    "an invoice line for the unit.",
)
class ChargeRaised(EventPayload):
    charge_id: uuid.UUID
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    reference: str
    lines: list[ChargeLine]
    total_fen: int


@event(
    "repairs.emergency.reported",
    summary="An elevator entrapment or a fire was reported: incidents opens (or links to) an incident.",
)
class EmergencyReported(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    kind: Literal["elevator_entrapment", "fire"]
    building_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    location: str = ""
    description: str
    reported_at: datetime.datetime
    reporter_name: str = personal(default="")
    reporter_phone: str | None = personal(default=None)


@event(
    "repairs.maintenance.missed",
    summary="A preventive maintenance visit passed its due date without being completed.",
    notifies=True,
)
class MaintenanceMissed(EventPayload):
    schedule_id: uuid.UUID
    estate_id: uuid.UUID
    title: str
    work_order_id: uuid.UUID
    reference: str
    due_on: datetime.date


@event(
    "repairs.outage.reported",
    summary="A resident reported no power or no water: incidents counts such reports per building and opens the "
    "outage playbook when several arrive within a window.",
)
class OutageReported(EventPayload):
    work_order_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    kind: Literal["power", "water"]
    building_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    location: str = ""
    reported_at: datetime.datetime
