"""Events produced by intake, the registry everything else projects from."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event

Service = Literal["repairs", "billing", "incidents", "notify"]


@event(
    "intake.estate.registered",
    summary="An estate (小区) was registered; other services open their projection.",
)
class EstateRegistered(EventPayload):
    estate_id: uuid.UUID
    code: str = Field(description="short estate code used in references, e.g. YMS")
    name: str
    name_en: str | None = None
    timezone: str = "Asia/Shanghai"
    address: str | None = None


@event("intake.estate.onboarding_completed", summary="Every service reported the estate provisioned.")
class EstateOnboardingCompleted(EventPayload):
    estate_id: uuid.UUID
    services: list[str]


# ---------------------------------------------------------------- registry snapshots
# Registered and updated events carry the full current state, so a projection is a simple upsert.

UnitKind = Literal["residential", "shop", "parking"]
UnitState = Literal["vacant", "occupied", "renovating"]
Language = Literal["zh-CN", "en"]
OccupancyRole = Literal["owner", "tenant", "household_member"]


class BuildingSnapshot(EventPayload):
    building_id: uuid.UUID
    estate_id: uuid.UUID
    code: str
    name: str
    floors: int
    elevators: int = 0


@event("intake.building.registered", summary="A building (楼栋) was added to an estate.")
class BuildingRegistered(BuildingSnapshot):
    pass


class UnitSnapshot(EventPayload):
    unit_id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID
    entrance: str | None = None
    number: str
    floor: int
    area_m2: str = Field(description="decimal, two places, e.g. '118.37'")
    kind: UnitKind
    state: UnitState


@event("intake.unit.registered", summary="A unit (房号) was registered: its area and kind drive billing.")
class UnitRegistered(UnitSnapshot):
    pass


@event("intake.unit.updated", summary="A unit's state, area or kind changed (full snapshot).")
class UnitUpdated(UnitSnapshot):
    pass


@event(
    "intake.place.registered", summary="A common area or equipment location (lobby, elevator car, pump room)."
)
class PlaceRegistered(EventPayload):
    place_id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID | None = None
    kind: str
    code: str
    name: str
    floor: int | None = None


class ResidentSnapshot(EventPayload):
    resident_id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    phone: str = Field(description="E.164, e.g. +8613812345678")
    email: str | None = None
    language: Language = "zh-CN"


@event("intake.resident.registered", summary="A resident (owner, tenant or household member) was registered.")
class ResidentRegistered(ResidentSnapshot):
    pass


@event("intake.resident.updated", summary="A resident's contact details or language changed (full snapshot).")
class ResidentUpdated(ResidentSnapshot):
    pass


class OccupancySnapshot(EventPayload):
    occupancy_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    resident_id: uuid.UUID
    role: OccupancyRole
    started_on: datetime.date
    ended_on: datetime.date | None = None


@event(
    "intake.occupancy.started",
    summary="A resident started living in or owning a unit; billing finds payers here.",
)
class OccupancyStarted(OccupancySnapshot):
    pass


@event("intake.occupancy.ended", summary="A resident's occupancy of a unit ended (moved out, sold).")
class OccupancyEnded(OccupancySnapshot):
    pass


class StaffSnapshot(EventPayload):
    staff_id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    department: str
    roles: list[str]
    phone: str | None = None
    extension: str | None = None
    skills: list[str] = []
    certificates: list[str] = []
    active: bool = True


@event(
    "intake.staff.registered", summary="A staff member joined an estate's directory (technicians included)."
)
class StaffRegistered(StaffSnapshot):
    pass


@event("intake.staff.updated", summary="A staff member's department, roles, contacts or status changed.")
class StaffUpdated(StaffSnapshot):
    pass


# ---------------------------------------------------------------- cases (inquiries, complaints, praise, suggestions)

CaseKind = Literal["inquiry", "complaint", "praise", "suggestion"]


class CaseRef(EventPayload):
    case_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str = Field(description="CASE-YYYYMM-NNNNNN")
    kind: CaseKind
    category: str | None = None
    severity: Literal["normal", "major"] = "normal"
    unit_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None


@event("intake.case.opened", summary="A case was opened at the desk or by a resident.", notifies=True)
class CaseOpened(CaseRef):
    channel: str
    subject: str
    is_repeat: bool = False
    repeat_of: uuid.UUID | None = None


@event(
    "intake.case.assigned", summary="A case was assigned to a department or a staff member.", notifies=True
)
class CaseAssigned(CaseRef):
    department: str | None = None
    staff_id: uuid.UUID | None = None


@event("intake.case.sla_warning", summary="A case milestone used 75% of its target.", notifies=True)
class CaseSlaWarning(CaseRef):
    milestone: str
    due_at: datetime.datetime


@event("intake.case.sla_breached", summary="A case milestone missed its target.", notifies=True)
class CaseSlaBreached(CaseRef):
    milestone: str
    due_at: datetime.datetime


@event(
    "intake.case.escalated",
    summary="A case moved up the chain (receptionist → supervisor → manager).",
    notifies=True,
)
class CaseEscalated(CaseRef):
    level: int
    to: Literal["supervisor", "manager"]
    reason: str


@event(
    "intake.case.resolved", summary="A case was resolved; the resident is asked to confirm.", notifies=True
)
class CaseResolved(CaseRef):
    resolution: str


@event(
    "intake.case.reopened",
    summary="The resident rejected the resolution; the case is open again.",
    notifies=True,
)
class CaseReopened(CaseRef):
    reopen_count: int
    reason: str | None = None


@event("intake.case.closed", summary="The resident confirmed the resolution (or it was closed for them).")
class CaseClosed(CaseRef):
    confirmed_by_resident: bool


# ---------------------------------------------------------------- repair requests taken at the desk


class Reporter(EventPayload):
    resident_id: uuid.UUID | None = None
    name: str
    phone: str | None = None
    language: Language = "zh-CN"


@event(
    "intake.repair.requested",
    summary="A repair need taken at the desk (a call, a visit, a case): repairs opens a work order from it.",
)
class RepairRequested(EventPayload):
    request_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    building_id: uuid.UUID | None = None
    category: str = Field(
        description="plumbing, electrical, doors_windows, elevator, fire_systems, hvac, "
        "public_facilities, greenery, security"
    )
    urgency: Literal["emergency", "urgent", "normal", "scheduled"]
    description: str
    reporter: Reporter
    preferred_from: datetime.datetime | None = None
    preferred_to: datetime.datetime | None = None
    photos: list[str] = []
    source: Literal["call", "case", "walk_in", "vacant_unit"]
    source_id: uuid.UUID | None = None


# ---------------------------------------------------------------- phone desk


@event(
    "intake.message.taken",
    summary="A message was taken for a staff member or department (留言).",
    notifies=True,
)
class MessageTaken(EventPayload):
    message_id: uuid.UUID
    estate_id: uuid.UUID
    for_staff_id: uuid.UUID | None = None
    for_department: str | None = None
    from_name: str
    from_phone: str | None = None
    text: str


@event("intake.message.acknowledged", summary="The staff member acknowledged a message taken for them.")
class MessageAcknowledged(EventPayload):
    message_id: uuid.UUID
    estate_id: uuid.UUID
    acknowledged_by: str


@event(
    "intake.callback.overdue",
    summary="A callback task passed its due time without being done.",
    notifies=True,
)
class CallbackOverdue(EventPayload):
    callback_id: uuid.UUID
    estate_id: uuid.UUID
    phone: str
    reason: str
    due_at: datetime.datetime
    assignee_id: uuid.UUID | None = None


# ---------------------------------------------------------------- visitors (来访登记)


class VisitRef(EventPayload):
    visit_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    kind: Literal["pre_registered", "walk_in"]
    visitor_name: str


@event(
    "intake.visit.registered",
    summary="A visit was registered; a walk-in waits for the host to confirm.",
    notifies=True,
)
class VisitRegistered(VisitRef):
    state: str
    window_from: datetime.datetime
    window_to: datetime.datetime
    purpose: str | None = None


@event("intake.visit.checked_in", summary="A visitor passed the gate; the host is told.", notifies=True)
class VisitCheckedIn(VisitRef):
    checked_in_at: datetime.datetime


@event("intake.visit.checked_out", summary="A visitor left.")
class VisitCheckedOut(VisitRef):
    checked_out_at: datetime.datetime


@event("intake.visit.overstayed", summary="A visitor is still inside after the visit window.", notifies=True)
class VisitOverstayed(VisitRef):
    window_to: datetime.datetime


# ---------------------------------------------------------------- follow-ups (回访) and satisfaction

FollowUpSource = Literal["work_order", "complaint", "renovation", "manual"]


class FollowUpRef(EventPayload):
    follow_up_id: uuid.UUID
    estate_id: uuid.UUID
    source_kind: FollowUpSource
    source_id: uuid.UUID | None = None
    source_reference: str | None = None
    unit_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None


@event(
    "intake.follow_up.created",
    summary="A follow-up (回访) was scheduled for a completed repair, a resolved complaint or an accepted "
    "renovation; the resident may answer it themselves.",
    notifies=True,
)
class FollowUpCreated(FollowUpRef):
    due_at: datetime.datetime


@event("intake.follow_up.completed", summary="A follow-up got its satisfaction score (1-5).")
class FollowUpCompleted(FollowUpRef):
    score: int = Field(ge=1, le=5)
    comment: str | None = None
    answered_by: Literal["resident", "staff"]


@event(
    "intake.follow_up.dissatisfied",
    summary="A follow-up scored 2 or less: a complaint was opened and linked; repairs reopens the work order "
    "when source_kind is work_order.",
    notifies=True,
)
class FollowUpDissatisfied(FollowUpRef):
    score: int
    comment: str | None = None
    complaint_case_id: uuid.UUID
    complaint_reference: str
    work_order_id: uuid.UUID | None = None


@event(
    "intake.follow_up.overdue",
    summary="A follow-up passed its due time without an answer.",
    notifies=True,
)
class FollowUpOverdue(FollowUpRef):
    due_at: datetime.datetime


# ---------------------------------------------------------------- move-in and move-out (入住, 退房)


class MeterReading(EventPayload):
    meter: Literal["water", "electricity", "gas"]
    reading: str = Field(description="decimal meter reading, e.g. '1234.5'")
    meter_number: str | None = None


class MoveRef(EventPayload):
    move_in_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    unit_number: str
    resident_id: uuid.UUID
    resident_name: str
    role: OccupancyRole
    occupancy_id: uuid.UUID


@event(
    "intake.move_in.completed",
    summary="A unit was handed over (入住交付): keys and meter readings recorded; billing opens the unit's "
    "account from the readings, notify sends the welcome notice.",
    notifies=True,
)
class MoveInCompleted(MoveRef):
    handed_over_on: datetime.date
    meter_readings: list[MeterReading]
    keys: int


@event(
    "intake.move_out.completed",
    summary="A resident moved out: the occupancy is closed and the final meter readings are sent to billing.",
)
class MoveOutCompleted(MoveRef):
    moved_out_on: datetime.date
    meter_readings: list[MeterReading]


# ---------------------------------------------------------------- renovation (装修)


class RenovationRef(EventPayload):
    renovation_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    reference: str = Field(description="REN-YYYYMM-NNNNNN")
    resident_id: uuid.UUID | None = None


@event("intake.renovation.applied", summary="A renovation application (装修申请) was filed.", notifies=True)
class RenovationApplied(RenovationRef):
    contractor: str
    planned_start: datetime.date
    planned_end: datetime.date


@event(
    "intake.renovation.reviewed",
    summary="A renovation application was approved (with conditions and a deposit) or rejected.",
    notifies=True,
)
class RenovationReviewed(RenovationRef):
    decision: Literal["approved", "rejected"]
    conditions: list[str] = []
    deposit_fen: int = 0
    note: str | None = None


@event(
    "intake.renovation.deposit_requested",
    summary="billing is asked to hold the renovation deposit (装修押金) for the unit.",
)
class RenovationDepositRequested(RenovationRef):
    amount_fen: int = Field(gt=0)


class Deduction(EventPayload):
    reason: str
    amount_fen: int = Field(gt=0)
    violation_id: uuid.UUID | None = None


@event(
    "intake.renovation.accepted",
    summary="The finished renovation passed its completion inspection (竣工验收).",
    notifies=True,
)
class RenovationAccepted(RenovationRef):
    accepted_on: datetime.date
    deductions_fen: int = 0


@event(
    "intake.renovation.deposit_release_requested",
    summary="billing is asked to release the renovation deposit, minus the itemised deductions.",
)
class RenovationDepositReleaseRequested(RenovationRef):
    deposit_fen: int
    deductions: list[Deduction] = []
    refund_fen: int


# ---------------------------------------------------------------- violations (违章) and vacant units (空置房)

ViolationType = Literal[
    "illegal_construction",
    "structural_change",
    "renovation_hours",
    "renovation_rules",
    "fire_exit_blocked",
    "illegal_parking",
    "noise",
    "littering",
    "pets",
    "other",
]


class ViolationRef(EventPayload):
    violation_id: uuid.UUID
    estate_id: uuid.UUID
    reference: str = Field(description="VIO-YYYYMM-NNNNNN")
    unit_id: uuid.UUID | None = None
    resident_id: uuid.UUID | None = None
    type: ViolationType
    renovation_id: uuid.UUID | None = None


@event(
    "intake.violation.noticed",
    summary="A rectification notice (整改通知) was served for a violation; the unit's residents are told.",
    notifies=True,
)
class ViolationNoticed(ViolationRef):
    deadline: datetime.datetime
    description: str
    notice_count: int


@event(
    "intake.violation.escalated",
    summary="A violation was not rectified by its deadline and went up the chain.",
    notifies=True,
)
class ViolationEscalated(ViolationRef):
    level: int
    deadline: datetime.datetime


@event("intake.violation.rectified", summary="A re-inspection found the violation rectified.")
class ViolationRectified(ViolationRef):
    rectified_at: datetime.datetime


@event(
    "intake.violation.fined",
    summary="A fine for a violation: billing adds it to the unit's account as a one-off charge.",
)
class ViolationFined(ViolationRef):
    fine_id: uuid.UUID
    amount_fen: int = Field(gt=0)
    reason: str


@event(
    "intake.vacant_unit.inspection_due",
    summary="A vacant unit (空置房) is due its periodic inspection.",
    notifies=True,
)
class VacantInspectionDue(EventPayload):
    unit_id: uuid.UUID
    estate_id: uuid.UUID
    unit_number: str
    due_on: datetime.date
