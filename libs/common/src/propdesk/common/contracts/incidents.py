"""Events produced by incidents."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event


@event(
    "incidents.estate.provisioned",
    summary="incidents has its projection of a newly registered estate and set up its standard emergency playbooks made available to the estate.",
)
class EstateProvisioned(EventPayload):
    estate_id: uuid.UUID
    service: str = "incidents"
    detail: dict[str, str | int | bool] = {}


class IncidentRef(EventPayload):
    incident_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str = Field(description="INC-YYYYMM-NNNNNN")
    playbook: str
    severity: Literal["critical", "major", "minor"]
    drill: bool = False
    title: str
    location: str = ""
    building_id: uuid.UUID | None = None


@event(
    "incidents.incident.triggered",
    summary="An emergency playbook started (or a drill): the duty officers and managers are told at once, "
    "through quiet hours.",
    notifies=True,
)
class IncidentTriggered(IncidentRef):
    description: str
    source: Literal["api", "event", "webhook"]
    triggered_at: datetime.datetime


@event(
    "incidents.incident.state_changed",
    summary="An incident was acknowledged, stabilised, resolved, closed or cancelled (who and when).",
)
class IncidentStateChanged(IncidentRef):
    state: Literal["acknowledged", "stabilised", "resolved", "closed", "cancelled"]
    by: str
    at: datetime.datetime


@event(
    "incidents.report.linked",
    summary="Another report of an active incident was linked to it instead of opening a second one.",
)
class ReportLinked(IncidentRef):
    reports: int
    source_ref: str | None = None


@event(
    "incidents.step.escalated",
    summary="A playbook step passed its deadline without acknowledgement: the next person on its escalation "
    "chain is told, again every few minutes until someone acknowledges.",
    notifies=True,
)
class StepEscalated(IncidentRef):
    step: str
    step_title_zh: str
    step_title_en: str
    due_at: datetime.datetime
    level: int
    role: str
    staff_role: str | None = None
    department: str | None = None
    escalations: int


@event(
    "incidents.broadcast.requested",
    summary="notify is asked to tell everyone in a scope (residents by estate, building, floor or unit; staff by "
    "role for drills), in zh-CN and en; critical messages pass quiet hours. Incident broadcasts and planned "
    "outage notices, reminders and all-clears.",
)
class BroadcastRequested(EventPayload):
    broadcast_id: uuid.UUID
    estate_id: uuid.UUID
    incident_id: uuid.UUID | None = None
    outage_id: uuid.UUID | None = None
    reference: str
    purpose: Literal[
        "incident",
        "incident_all_clear",
        "outage_notice",
        "outage_reminder",
        "outage_all_clear",
        "outage_cancelled",
    ]
    all_residents: bool = False
    building_ids: list[uuid.UUID] = []
    floors: list[int] = []
    unit_ids: list[uuid.UUID] = []
    staff_roles: list[str] = []
    title_zh: str
    body_zh: str
    title_en: str
    body_en: str
    critical: bool = True
    ask_reply: bool = False


@event(
    "incidents.help.requested",
    summary="A resident answered an incident broadcast with 'I need help': a task for the commander.",
    notifies=True,
)
class HelpRequested(IncidentRef):
    reply_id: uuid.UUID
    unit_id: uuid.UUID
    unit_number: str = ""
    floor: int | None = None
    note: str | None = None


@event(
    "incidents.repair.requested",
    summary="A playbook step needs work done (restore the pump after a water outage): repairs opens a work order "
    "for it (once, by request_id), and the step completes when repairs completes the order.",
)
class RepairRequested(IncidentRef):
    step: str
    request_id: uuid.UUID = Field(
        description="the step's work order request: the same for the same step, always"
    )
    category: str
    problem: str
    urgency: Literal["emergency", "urgent", "normal"] = "emergency"
    description: str
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
