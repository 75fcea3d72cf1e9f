"""Cases (inquiries, complaints, praise, suggestions) with their SLA clocks."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from propdesk.intake.schemas.common import Input, Output, Phone

ComplaintCategory = Literal[
    "service_attitude",
    "cleanliness",
    "security",
    "noise",
    "neighbour_dispute",
    "repair_quality",
    "fees",
    "parking",
    "facilities",
    "other",
]


class CaseCreate(Input):
    kind: Literal["inquiry", "complaint", "praise", "suggestion"]
    channel: Literal["phone", "walk_in", "app", "email", "letter"] = "phone"
    category: ComplaintCategory | None = None
    severity: Literal["normal", "major"] = "normal"
    unit_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_phone: Phone | None = None
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=10_000)
    call_id: uuid.UUID | None = Field(None, title="来电记录", description="the call the case came from")
    employee_id: uuid.UUID | None = Field(
        None, title="被投诉员工", description="a complaint about a member of staff: their manager is told"
    )

    @model_validator(mode="after")
    def _complaints_have_a_category(self) -> CaseCreate:
        if self.kind == "complaint" and self.category is None:
            raise ValueError("a complaint needs a category")
        if self.employee_id is not None and self.kind != "complaint":
            raise ValueError("only a complaint names an employee")
        if self.kind != "complaint" and self.severity == "major":
            raise ValueError("only complaints can be major")
        return self


class CaseAction(Input):
    action: Literal[
        "acknowledge",
        "respond",
        "assign",
        "update",
        "wait",
        "resume",
        "resolve",
        "confirm",
        "reject",
        "cancel",
    ]
    note: str | None = Field(default=None, max_length=10_000)
    department: (
        Literal["customer_service", "engineering", "security", "cleaning", "finance", "management"] | None
    ) = None
    staff_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _needs(self) -> CaseAction:
        if self.action == "resolve" and not self.note:
            raise ValueError("a resolution needs a note saying what was done")
        if self.action == "assign" and self.department is None and self.staff_id is None:
            raise ValueError("assign to a department or a staff member")
        if self.action in ("respond", "update") and not self.note:
            raise ValueError(f"{self.action} needs a note")
        return self


class ClockRead(BaseModel):
    milestone: str
    state: Literal["running", "paused", "met", "breached"]
    target_minutes: int
    calendar: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    paused_total_seconds: int


class CaseEntryRead(Output):
    kind: str
    actor: str
    note: str | None
    data: dict
    at: dt.datetime


class CaseRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    kind: str
    channel: str
    category: str | None
    severity: str
    state: str
    unit_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    subject: str
    description: str
    department: str | None
    assignee_id: uuid.UUID | None
    escalation_level: int
    resolution: str | None
    reopen_count: int
    repeat_of: uuid.UUID | None
    work_order_id: uuid.UUID | None
    call_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = None
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    clocks: list[ClockRead] = []
    timeline: list[CaseEntryRead] = []


class CaseSlaTargetWrite(Input):
    kind: Literal["inquiry", "complaint", "praise", "suggestion"]
    category: ComplaintCategory | None = None
    severity: Literal["normal", "major"] = "normal"
    milestone: Literal["acknowledge", "first_response", "resolution", "update"]
    minutes: int = Field(gt=0, le=60 * 24 * 90)
    calendar: Literal["clock", "business"]


class CaseSlaTargetRead(Output):
    kind: str
    category: str | None
    severity: str
    milestone: str
    minutes: int
    calendar: str
    source: Literal["default", "estate"] = "estate"
