"""intake's events about a household's life with the estate: move-in and move-out, renovations, violations,
vacant-unit inspections."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.contracts.intake.registry import OccupancyRole
from propdesk.common.events import EventPayload, Field, event, personal

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
    resident_name: str = personal()
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
