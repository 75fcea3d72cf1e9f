"""The desk: repair requests, calls, messages, callbacks, visits, blocked visitors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from propdesk.common import taxonomy
from propdesk.intake.schemas.common import IdNumber, Input, Output, Phone

RepairCategory = Literal[
    "plumbing",
    "electrical",
    "doors_windows",
    "elevator",
    "fire_systems",
    "hvac",
    "public_facilities",
    "greenery",
    "security",
]


class RepairRequestCreate(Input):
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    category: RepairCategory
    problem: str = Field(
        "other",
        max_length=32,
        description="the problem within the category, from the repair taxonomy (GET /v1/repair-taxonomy in "
        "repairs): an elevator entrapment or a fire also opens an emergency incident",
        examples=["entrapment"],
    )
    urgency: Literal["emergency", "urgent", "normal", "scheduled"] | None = Field(
        None, description="the problem's default urgency when not given"
    )
    description: str = Field(min_length=1, max_length=5000)
    resident_id: uuid.UUID | None = None
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_phone: Phone | None = None
    preferred_from: dt.datetime | None = None
    preferred_to: dt.datetime | None = None
    photos: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _where_and_when(self) -> RepairRequestCreate:
        if (self.unit_id is None) == (self.place_id is None):
            raise ValueError("give exactly one of unit_id (in a unit) or place_id (a common area)")
        if self.preferred_from and self.preferred_to and self.preferred_to <= self.preferred_from:
            raise ValueError("preferred_to must be after preferred_from")
        found = taxonomy.problem(self.category, self.problem)
        if found is None:
            raise ValueError(f"{self.problem!r} is not a problem of the category {self.category!r}")
        if self.urgency is None:
            self.urgency = found.urgency
        return self


class RepairRequestRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID | None
    place_id: uuid.UUID | None
    category: str
    problem: str = "other"
    urgency: str
    description: str
    source: str
    source_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    work_order_reference: str | None
    created_at: dt.datetime


class VisitorIdentity(Input):
    name: str = Field(min_length=1, max_length=100)
    phone: Phone | None = None
    id_number: IdNumber | None = None


__all__ = ["RepairRequestCreate", "RepairRequestRead", "VisitorIdentity"]


class CallCreate(Input):
    direction: Literal["inbound", "outbound"] = "inbound"
    phone: str = Field(min_length=3, max_length=32, description="the caller's number; resolved to a resident")
    topic: Literal["inquiry", "complaint", "repair", "visitor", "fees", "message", "other"] = "inquiry"
    started_at: dt.datetime | None = None
    duration_seconds: int = Field(default=0, ge=0, le=24 * 3600)
    outcome: Literal["answered", "missed", "transferred", "voicemail"] = "answered"
    transfer_to_staff_id: uuid.UUID | None = None
    transfer_to_department: (
        Literal["customer_service", "engineering", "security", "cleaning", "finance", "management"] | None
    ) = None
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _transfer(self) -> CallCreate:
        target = self.transfer_to_staff_id or self.transfer_to_department
        if self.outcome == "transferred" and not target:
            raise ValueError("a transferred call names the staff member or department it went to")
        if target and self.outcome != "transferred":
            raise ValueError("a transfer target needs outcome 'transferred'")
        if self.started_at is not None and self.started_at.tzinfo is None:
            raise ValueError("started_at needs a time zone offset")
        return self


class CallTransfer(Input):
    staff_id: uuid.UUID | None = None
    department: (
        Literal["customer_service", "engineering", "security", "cleaning", "finance", "management"] | None
    ) = None
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one(self) -> CallTransfer:
        if (self.staff_id is None) == (self.department is None):
            raise ValueError("transfer to exactly one of staff_id or department")
        return self


class CallRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    direction: str
    phone: str
    resident_id: uuid.UUID | None
    unit_ids: list[uuid.UUID]
    topic: str
    started_at: dt.datetime
    duration_seconds: int
    outcome: str
    transferred_to_staff_id: uuid.UUID | None
    transferred_to_department: str | None
    handled_by: str
    notes: str | None
    callback_id: uuid.UUID | None = None


class MessageCreate(Input):
    for_staff_id: uuid.UUID | None = None
    for_department: (
        Literal["customer_service", "engineering", "security", "cleaning", "finance", "management"] | None
    ) = None
    from_name: str = Field(min_length=1, max_length=100)
    from_phone: Phone | None = None
    text: str = Field(min_length=1, max_length=5000)
    call_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _for_whom(self) -> MessageCreate:
        if (self.for_staff_id is None) == (self.for_department is None):
            raise ValueError("a message is for exactly one of a staff member or a department")
        return self


class MessageRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    call_id: uuid.UUID | None
    for_staff_id: uuid.UUID | None
    for_department: str | None
    from_name: str
    from_phone: str | None
    text: str
    taken_by: str
    state: str
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    created_at: dt.datetime


class CallbackCreate(Input):
    phone: Phone
    reason: str = Field(min_length=1, max_length=500)
    due_at: dt.datetime
    assignee_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _aware(self) -> CallbackCreate:
        if self.due_at.tzinfo is None:
            raise ValueError("due_at needs a time zone offset")
        return self


class CallbackDone(Input):
    outcome: str = Field(min_length=1, max_length=2000)


class CallbackRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    call_id: uuid.UUID | None
    phone: str
    resident_id: uuid.UUID | None
    reason: str
    due_at: dt.datetime
    assignee_id: uuid.UUID | None
    state: str
    overdue: bool
    outcome: str | None
    done_at: dt.datetime | None


class VisitCreate(Input):
    unit_id: uuid.UUID
    kind: Literal["pre_registered", "walk_in"] = "pre_registered"
    visitor_name: str = Field(min_length=1, max_length=100)
    visitor_phone: Phone | None = None
    id_number: IdNumber | None = None
    purpose: str | None = Field(default=None, max_length=200)
    window_from: dt.datetime | None = None
    window_to: dt.datetime | None = None

    @model_validator(mode="after")
    def _window(self) -> VisitCreate:
        if self.kind == "pre_registered" and (self.window_from is None or self.window_to is None):
            raise ValueError("a pre-registration needs window_from and window_to")
        if self.kind == "walk_in" and self.id_number is None:
            raise ValueError("a walk-in visitor's ID number is checked at the desk")
        for value in (self.window_from, self.window_to):
            if value is not None and value.tzinfo is None:
                raise ValueError("times need a time zone offset, e.g. 2026-12-01T14:00:00+08:00")
        if self.window_from and self.window_to:
            if self.window_to <= self.window_from:
                raise ValueError("window_to must be after window_from")
            if self.window_to - self.window_from > dt.timedelta(days=7):
                raise ValueError("a visit window is at most 7 days")
        return self


class VisitRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    kind: str
    state: str
    code: str | None
    visitor_name: str
    visitor_phone: str | None
    id_number_masked: str | None
    purpose: str | None
    window_from: dt.datetime
    window_to: dt.datetime
    registered_by: str
    host_confirmed_at: dt.datetime | None
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    overstay: bool


class CheckInByCode(Input):
    code: str = Field(pattern=r"^\d{6}$")


class BlockedVisitorCreate(Input):
    name: str | None = Field(default=None, max_length=100)
    phone: Phone | None = None
    id_number: IdNumber | None = None
    reason: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _something_to_match(self) -> BlockedVisitorCreate:
        if not (self.phone or self.id_number or self.name):
            raise ValueError("block by name, phone or ID number")
        return self


class BlockedVisitorRead(Output):
    id: uuid.UUID
    name: str | None
    phone: str | None
    id_number_masked: str | None
    reason: str
    created_by: str
    active: bool
    created_at: dt.datetime
