"""intake's tables, schema `intake`, by domain: `registry`, `desk`, `residence`. Every table is named here."""

from __future__ import annotations

from propdesk.intake.models.base import SCHEMA, Base
from propdesk.intake.models.desk import (
    Activity,
    BlockedVisitor,
    Call,
    Callback,
    Case,
    CaseEntry,
    CaseSlaTarget,
    DeskPolicy,
    FollowUp,
    Message,
    RepairRequest,
    Visit,
)
from propdesk.intake.models.registry import (
    Building,
    Department,
    DutyShift,
    Estate,
    EstateProvisioning,
    Occupancy,
    Place,
    Resident,
    ResidentChange,
    Staff,
    Unit,
)
from propdesk.intake.models.residence import (
    MoveIn,
    Renovation,
    RenovationInspection,
    VacantInspection,
    Violation,
    ViolationFine,
)

__all__ = [
    "SCHEMA",
    "Activity",
    "Base",
    "BlockedVisitor",
    "Building",
    "Call",
    "Callback",
    "Case",
    "CaseEntry",
    "CaseSlaTarget",
    "Department",
    "DeskPolicy",
    "DutyShift",
    "Estate",
    "EstateProvisioning",
    "FollowUp",
    "Message",
    "MoveIn",
    "Occupancy",
    "Place",
    "Renovation",
    "RenovationInspection",
    "RepairRequest",
    "Resident",
    "ResidentChange",
    "Staff",
    "Unit",
    "VacantInspection",
    "Violation",
    "ViolationFine",
    "Visit",
]
