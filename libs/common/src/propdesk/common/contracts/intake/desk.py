"""intake's desk events: cases, repair requests, the phone desk, visitors, follow-ups."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.contracts.intake.registry import Language
from propdesk.common.events import EventPayload, Field, event, personal

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
    call_id: uuid.UUID | None = None
    employee_id: uuid.UUID | None = Field(None, description="a complaint about this member of staff")
    employee_name: str | None = personal(default=None)
    employee_department: str | None = None


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
    name: str = personal()
    phone: str | None = personal(default=None)
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
    problem: str = Field(
        "other",
        description="the problem within the category, from the shared repair taxonomy (entrapment, fire …)",
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
    from_name: str = personal()
    from_phone: str | None = personal(default=None)
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
    phone: str = personal()
    reason: str
    due_at: datetime.datetime
    assignee_id: uuid.UUID | None = None


# ---------------------------------------------------------------- visitors (来访登记)


class VisitRef(EventPayload):
    visit_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    kind: Literal["pre_registered", "walk_in"]
    visitor_name: str = personal()


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
