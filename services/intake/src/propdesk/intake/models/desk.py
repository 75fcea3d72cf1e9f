"""The desk's work: cases with their timeline and SLA targets, repair requests, calls, messages taken,
callbacks, visits and blocked visitors; follow-ups (回访); the estate's desk policy and the activity log."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin
from propdesk.common.ids import uuid7
from propdesk.intake.models.base import Base, fk


class Case(KeyMixin, TimestampMixin, Base):
    """Inquiries, complaints, praise and suggestions: one model."""

    __tablename__ = "case"
    __table_args__ = (
        Index("ix_case_estate_state_created", "estate_id", "state", "created_at"),
        Index("ix_case_unit_category_created", "unit_id", "category", "created_at"),
        UniqueConstraint("reference"),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    reference: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8), default="normal")
    state: Mapped[str] = mapped_column(String(20), default="open")
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.unit.id"))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.resident.id")
    )
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(32))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.staff.id"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    resolution: Mapped[str | None] = mapped_column(Text)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    repeat_of: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    call_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.call.id"))
    # a complaint about a member of staff (顾客电话投诉员工登记表): their manager hears of it
    employee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.staff.id"))
    clocks: Mapped[dict] = mapped_column(JSONB, default=dict)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    first_response_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseEntry(Base):
    """The case's timeline: every transition, note, assignment, warning and escalation, with who and when."""

    __tablename__ = "case_entry"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    case_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC))


class CaseSlaTarget(KeyMixin, Base):
    """A case SLA target per estate × kind × category × severity × milestone. NULL category matches any."""

    __tablename__ = "case_sla_target"
    __table_args__ = (
        UniqueConstraint(
            "estate_id", "kind", "category", "severity", "milestone", postgresql_nulls_not_distinct=True
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    milestone: Mapped[str] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[str] = mapped_column(String(10))


class RepairRequest(KeyMixin, TimestampMixin, Base):
    """A repair need taken at the desk, sent to repairs as an event; linked to the work order it became."""

    __tablename__ = "repair_request"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.estate.id"), index=True
    )
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.unit.id"))
    place_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.place.id"))
    category: Mapped[str] = mapped_column(String(32))
    problem: Mapped[str] = mapped_column(String(32), default="other", server_default="other")
    urgency: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    work_order_reference: Mapped[str | None] = mapped_column(String(32))


# ---------------------------------------------------------------- phone desk


class Call(KeyMixin, TimestampMixin, Base):
    __tablename__ = "call"
    __table_args__ = (Index("ix_call_estate_started", "estate_id", "started_at"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    direction: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str] = mapped_column(String(32), index=True)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.resident.id")
    )
    unit_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    topic: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str] = mapped_column(String(16))
    transferred_to_staff_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.staff.id")
    )
    transferred_to_department: Mapped[str | None] = mapped_column(String(32))
    handled_by: Mapped[str] = mapped_column(String(100))
    notes: Mapped[str | None] = mapped_column(Text)


class Message(KeyMixin, TimestampMixin, Base):
    """A message taken for a staff member or a department (留言), tracked until acknowledged."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_estate_state", "estate_id", "state"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    call_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.call.id"))
    for_staff_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.staff.id"))
    for_department: Mapped[str | None] = mapped_column(String(32))
    from_name: Mapped[str] = mapped_column(String(100))
    from_phone: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    taken_by: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Callback(KeyMixin, TimestampMixin, Base):
    """Someone has to call a person back by a due time (a missed call creates one)."""

    __tablename__ = "callback"
    __table_args__ = (Index("ix_callback_estate_state_due", "estate_id", "state", "due_at"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    call_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.call.id"))
    phone: Mapped[str] = mapped_column(String(32))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.resident.id")
    )
    reason: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.staff.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- visitors


class Visit(KeyMixin, TimestampMixin, Base):
    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_estate_window", "estate_id", "window_from"),
        Index("ix_visit_unit", "unit_id", "window_from"),
        Index(
            "uq_visit_active_code",
            "estate_id",
            "code",
            unique=True,
            postgresql_where=text("state IN ('expected', 'confirmed')"),
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.unit.id"))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(8))
    visitor_name: Mapped[str] = mapped_column(String(100, collation="C"))
    visitor_phone: Mapped[str | None] = mapped_column(String(20))
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(200))
    window_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    window_to: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(100))
    host_confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    overstay: Mapped[bool] = mapped_column(Boolean, default=False)


class BlockedVisitor(KeyMixin, TimestampMixin, Base):
    __tablename__ = "blocked_visitor"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.estate.id"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class FollowUp(KeyMixin, TimestampMixin, Base):
    """回访: one per completed repair, resolved complaint or accepted renovation (when sampled), or by hand."""

    __tablename__ = "follow_up"
    __table_args__ = (
        Index("ix_follow_up_estate_state_due", "estate_id", "state", "due_at"),
        Index("ix_follow_up_estate_created", "estate_id", "created_at"),
        Index(
            "uq_follow_up_source",
            "source_kind",
            "source_id",
            unique=True,
            postgresql_where=text("source_id IS NOT NULL"),
        ),
    )

    estate_id: Mapped[uuid.UUID] = fk("estate")
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    source_reference: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[uuid.UUID | None] = fk("unit", nullable=True)
    resident_id: Mapped[uuid.UUID | None] = fk("resident", nullable=True)
    assignee_id: Mapped[uuid.UUID | None] = fk("staff", nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    max_attempts: Mapped[int] = mapped_column(SmallInteger, default=3)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    complaint_case_id: Mapped[uuid.UUID | None] = fk("case", nullable=True)


class DeskPolicy(Base):
    """Per-estate settings for part 2; an estate without a row uses the defaults in `service.policy`."""

    __tablename__ = "desk_policy"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.estate.id"), primary_key=True
    )
    policy: Mapped[dict] = mapped_column(JSONB, default=dict)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC)
    )


class Activity(Base):
    """Timeline of a follow-up, move-in, renovation, violation or vacant unit: what, who, when."""

    __tablename__ = "activity"
    __table_args__ = (Index("ix_activity_subject", "subject_id", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC))
