"""Move-in and move-out, renovations, violations, vacant-unit inspections."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    Field,
    model_validator,
)

from propdesk.common.contracts.intake import ViolationType
from propdesk.intake.schemas.common import ActivityRead, Fen, Input, Note, OccupancyRole, Output, Phone, Photo

# ---------------------------------------------------------------- move-in / move-out


class ChecklistItem(Input):
    item: str = Field(min_length=1, max_length=100, examples=["门窗", "水电", "墙面"])
    ok: bool
    note: str | None = Field(default=None, max_length=500)


class KeyHandover(Input):
    kind: str = Field(min_length=1, max_length=50, examples=["入户门", "信箱", "门禁卡"])
    count: int = Field(ge=1, le=50)


class Reading(Input):
    meter: Literal["water", "electricity", "gas"]
    reading: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    meter_number: str | None = Field(default=None, max_length=50)


def _one_per_meter(readings: list[Reading]) -> list[Reading]:
    meters = [r.meter for r in readings]
    if len(set(meters)) != len(meters):
        raise ValueError("one reading per meter")
    return readings


class MoveInCreate(Input):
    resident_id: uuid.UUID
    role: Literal["owner", "tenant"] = "owner"
    handed_over_on: dt.date = Field(default_factory=dt.date.today)
    checklist: list[ChecklistItem] = Field(min_length=1, max_length=100)
    keys: list[KeyHandover] = Field(min_length=1, max_length=20)
    meter_readings: list[Reading] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _meters(self) -> MoveInCreate:
        _one_per_meter(self.meter_readings)
        return self


class MoveOutCreate(Input):
    moved_out_on: dt.date = Field(default_factory=dt.date.today)
    meter_readings: list[Reading] = Field(min_length=1, max_length=3)
    keys_returned: int = Field(ge=0, le=100)
    note: Note | None = None

    @model_validator(mode="after")
    def _meters(self) -> MoveOutCreate:
        _one_per_meter(self.meter_readings)
        return self


class MoveInRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    resident_id: uuid.UUID
    occupancy_id: uuid.UUID
    role: OccupancyRole
    state: str
    handed_over_on: dt.date
    checklist: list[dict]
    keys: list[dict]
    meter_readings: list[dict]
    handled_by: str
    moved_out_on: dt.date | None
    move_out_readings: list[dict]
    keys_returned: int | None
    created_at: dt.datetime


# ---------------------------------------------------------------- renovation


class Worker(Input):
    name: str = Field(min_length=1, max_length=100)
    phone: Phone | None = None
    trade: str | None = Field(default=None, max_length=50, examples=["水电工", "泥瓦工"])


RenovationItem = Literal[
    "walls", "floors", "ceilings", "plumbing", "electrical", "doors_windows", "kitchen", "bathroom", "other"
]


class RenovationCreate(Input):
    unit_id: uuid.UUID
    contractor_name: str = Field(min_length=1, max_length=200)
    contractor_phone: Phone
    contractor_licence: str | None = Field(default=None, max_length=64)
    scope: str = Field(min_length=1, max_length=5000)
    items: list[RenovationItem] = Field(min_length=1, max_length=9)
    workers: list[Worker] = Field(default_factory=list, max_length=100)
    planned_start: dt.date
    planned_end: dt.date

    @model_validator(mode="after")
    def _dates(self) -> RenovationCreate:
        if self.planned_end < self.planned_start:
            raise ValueError("planned_end is before planned_start")
        if (self.planned_end - self.planned_start).days > 366:
            raise ValueError("a renovation permit covers at most one year")
        return self


class RenovationReview(Input):
    decision: Literal["approved", "rejected"]
    conditions: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=30
    )
    deposit_fen: int | None = Field(
        default=None, ge=0, le=100_000_000_00, description="defaults to the estate's policy (integer fen)"
    )
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason(self) -> RenovationReview:
        if self.decision == "rejected" and not self.note:
            raise ValueError("a rejection needs a note saying why")
        return self


class RenovationAction(Input):
    action: Literal["start", "request_acceptance", "cancel"]
    note: str | None = Field(default=None, max_length=2000)


class DeductionIn(Input):
    reason: str = Field(min_length=1, max_length=500)
    amount_fen: Fen
    violation_id: uuid.UUID | None = None


class RenovationAcceptance(Input):
    passed: bool
    findings: str = Field(min_length=1, max_length=5000)
    photos: list[Photo] = Field(default_factory=list, max_length=50)
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _deductions_only_on_pass(self) -> RenovationAcceptance:
        if not self.passed and self.deductions:
            raise ValueError("deductions are settled when the acceptance passes")
        return self


class InspectionSchedule(Input):
    scheduled_for: AwareDatetime
    inspector_id: uuid.UUID | None = None


class ViolationFound(Input):
    type: ViolationType
    description: str = Field(min_length=1, max_length=5000)
    evidence: list[Photo] = Field(default_factory=list, max_length=50)
    rectify_days: int | None = Field(default=None, ge=1, le=90)


class InspectionRecord(Input):
    result: Literal["passed", "issues"]
    findings: str = Field(min_length=1, max_length=5000)
    photos: list[Photo] = Field(default_factory=list, max_length=50)
    violations: list[ViolationFound] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _violations_are_issues(self) -> InspectionRecord:
        if self.violations and self.result == "passed":
            raise ValueError("an inspection that found violations has result 'issues'")
        return self


class InspectionRead(Output):
    id: uuid.UUID
    renovation_id: uuid.UUID
    kind: str
    scheduled_for: dt.datetime
    inspector_id: uuid.UUID | None
    state: str
    result: str | None
    findings: str | None
    photos: list[str]
    done_at: dt.datetime | None
    done_by: str | None
    violation_ids: list[uuid.UUID]


class RenovationRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    resident_id: uuid.UUID | None
    reference: str
    state: str
    contractor_name: str
    contractor_phone: str
    contractor_licence: str | None
    scope: str
    items: list[str]
    workers: list[dict]
    planned_start: dt.date
    planned_end: dt.date
    conditions: list[str]
    deposit_fen: int
    deposit_state: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None
    started_at: dt.datetime | None
    accepted_on: dt.date | None
    deductions: list[dict]
    refund_fen: int | None
    created_at: dt.datetime
    inspections: list[InspectionRead] = []
    timeline: list[ActivityRead] = []


class WorkingHoursCheck(Output):
    at: dt.datetime
    allowed: bool
    reason: str


# ---------------------------------------------------------------- violations


class ViolationCreate(ViolationFound):
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    renovation_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> ViolationCreate:
        if self.unit_id is None and self.place_id is None:
            raise ValueError("a violation needs a unit or a place")
        return self


class ViolationAction(Input):
    action: Literal["notice", "reinspect", "fine", "cancel"]
    note: str | None = Field(default=None, max_length=2000)
    deadline: AwareDatetime | None = Field(default=None, description="notice: when it must be rectified")
    rectified: bool | None = Field(default=None, description="reinspect: whether it is rectified")
    photos: list[Photo] = Field(default_factory=list, max_length=50)
    amount_fen: Fen | None = None

    @model_validator(mode="after")
    def _fields_per_action(self) -> ViolationAction:
        if self.action == "reinspect" and self.rectified is None:
            raise ValueError("a re-inspection says whether it is rectified")
        if self.action == "fine" and (self.amount_fen is None or not self.note):
            raise ValueError("a fine needs amount_fen and a note with the reason")
        if self.action != "fine" and self.amount_fen is not None:
            raise ValueError("amount_fen belongs to a fine")
        if self.action == "cancel" and not self.note:
            raise ValueError("cancelling a violation needs a note saying why")
        return self


class ViolationRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    unit_id: uuid.UUID | None
    place_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    renovation_id: uuid.UUID | None
    type: str
    description: str
    evidence: list[str]
    state: str
    deadline: dt.datetime | None
    notice_count: int
    escalation_level: int
    reported_by: str
    rectified_at: dt.datetime | None
    fines_fen: int
    created_at: dt.datetime
    timeline: list[ActivityRead] = []


# ---------------------------------------------------------------- vacant units


class VacantFinding(Input):
    item: str = Field(min_length=1, max_length=100, examples=["门窗", "水管", "电路", "墙面渗水"])
    ok: bool
    note: str | None = Field(default=None, max_length=1000)
    photos: list[Photo] = Field(default_factory=list, max_length=20)
    repair_category: (
        Literal[
            "plumbing",
            "electrical",
            "doors_windows",
            "hvac",
            "public_facilities",
            "security",
        ]
        | None
    ) = Field(default=None, description="set to turn this finding into a repair request")
    repair_urgency: Literal["emergency", "urgent", "normal", "scheduled"] = "normal"

    @model_validator(mode="after")
    def _repair_needs_a_problem(self) -> VacantFinding:
        if self.repair_category is not None and (self.ok or not self.note):
            raise ValueError("only a failed item with a note can become a repair request")
        return self


class VacantInspectionCreate(Input):
    inspected_at: AwareDatetime | None = None
    findings: list[VacantFinding] = Field(min_length=1, max_length=50)


class VacantInspectionRead(Output):
    id: uuid.UUID
    unit_id: uuid.UUID
    inspected_at: dt.datetime
    inspector: str
    findings: list[dict]
    repair_request_ids: list[uuid.UUID]


class VacantUnitRead(Output):
    unit_id: uuid.UUID
    number: str
    building_id: uuid.UUID
    floor: int
    last_inspected_at: dt.datetime | None
    next_due_on: dt.date
    overdue: bool
