"""intake part 2: follow-ups, move-ins, renovations, violations, vacant-unit inspections, the estate's desk
policy, and one activity log (the audit trail of all of them)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin
from propdesk.common.ids import uuid7
from propdesk.intake.models import Base


def _fk(target: str, *, nullable: bool = False, index: bool = False) -> Mapped:
    return mapped_column(
        UUID(as_uuid=True), ForeignKey(f"intake.{target}.id"), nullable=nullable, index=index
    )


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

    estate_id: Mapped[uuid.UUID] = _fk("estate")
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    source_reference: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(32))
    unit_id: Mapped[uuid.UUID | None] = _fk("unit", nullable=True)
    resident_id: Mapped[uuid.UUID | None] = _fk("resident", nullable=True)
    assignee_id: Mapped[uuid.UUID | None] = _fk("staff", nullable=True)
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
    complaint_case_id: Mapped[uuid.UUID | None] = _fk("case", nullable=True)


class MoveIn(KeyMixin, TimestampMixin, Base):
    """入住交付: the handover checklist, keys and meter readings; later the move-out with its readings."""

    __tablename__ = "move_in"

    estate_id: Mapped[uuid.UUID] = _fk("estate")
    unit_id: Mapped[uuid.UUID] = _fk("unit", index=True)
    resident_id: Mapped[uuid.UUID] = _fk("resident", index=True)
    occupancy_id: Mapped[uuid.UUID] = _fk("occupancy")
    role: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(16), default="moved_in")
    handed_over_on: Mapped[dt.date] = mapped_column(Date)
    checklist: Mapped[list] = mapped_column(JSONB, default=list)
    keys: Mapped[list] = mapped_column(JSONB, default=list)
    meter_readings: Mapped[list] = mapped_column(JSONB, default=list)
    handled_by: Mapped[str] = mapped_column(String(100))
    moved_out_on: Mapped[dt.date | None] = mapped_column(Date)
    move_out_readings: Mapped[list] = mapped_column(JSONB, default=list)
    keys_returned: Mapped[int | None] = mapped_column(Integer)


class Renovation(KeyMixin, TimestampMixin, Base):
    """装修: application → review → works (inspections, violations) → acceptance → deposit release."""

    __tablename__ = "renovation"
    __table_args__ = (Index("ix_renovation_estate_state", "estate_id", "state", "created_at"),)

    estate_id: Mapped[uuid.UUID] = _fk("estate")
    unit_id: Mapped[uuid.UUID] = _fk("unit", index=True)
    resident_id: Mapped[uuid.UUID | None] = _fk("resident", nullable=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(24), default="submitted")
    contractor_name: Mapped[str] = mapped_column(String(200))
    contractor_phone: Mapped[str] = mapped_column(String(20))
    contractor_licence: Mapped[str | None] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    items: Mapped[list] = mapped_column(JSONB, default=list)
    workers: Mapped[list] = mapped_column(JSONB, default=list)
    planned_start: Mapped[dt.date] = mapped_column(Date)
    planned_end: Mapped[dt.date] = mapped_column(Date)
    conditions: Mapped[list] = mapped_column(JSONB, default=list)
    deposit_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    deposit_state: Mapped[str] = mapped_column(String(20), default="none")
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    deductions: Mapped[list] = mapped_column(JSONB, default=list)
    refund_fen: Mapped[int | None] = mapped_column(BigInteger)


class RenovationInspection(KeyMixin, TimestampMixin, Base):
    __tablename__ = "renovation_inspection"

    renovation_id: Mapped[uuid.UUID] = _fk("renovation", index=True)
    kind: Mapped[str] = mapped_column(String(16), default="routine")
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    inspector_id: Mapped[uuid.UUID | None] = _fk("staff", nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")
    result: Mapped[str | None] = mapped_column(String(16))
    findings: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSONB, default=list)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(100))
    violation_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)


class Violation(KeyMixin, TimestampMixin, Base):
    """违章: recorded with evidence, a notice with a rectification deadline (a durable timer), re-inspections,
    escalation when the deadline passes, optional fines sent to billing."""

    __tablename__ = "violation"
    __table_args__ = (Index("ix_violation_estate_state", "estate_id", "state", "created_at"),)

    estate_id: Mapped[uuid.UUID] = _fk("estate")
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[uuid.UUID | None] = _fk("unit", nullable=True, index=True)
    place_id: Mapped[uuid.UUID | None] = _fk("place", nullable=True)
    resident_id: Mapped[uuid.UUID | None] = _fk("resident", nullable=True)
    renovation_id: Mapped[uuid.UUID | None] = _fk("renovation", nullable=True, index=True)
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(JSONB, default=list)
    state: Mapped[str] = mapped_column(String(16), default="open")
    deadline: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    notice_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    reported_by: Mapped[str] = mapped_column(String(100))
    rectified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    fines_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class ViolationFine(KeyMixin, TimestampMixin, Base):
    __tablename__ = "violation_fine"

    violation_id: Mapped[uuid.UUID] = _fk("violation", index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    fined_by: Mapped[str] = mapped_column(String(100))


class VacantInspection(KeyMixin, TimestampMixin, Base):
    """One periodic inspection of a vacant unit (空置房巡查) with its findings."""

    __tablename__ = "vacant_inspection"
    __table_args__ = (Index("ix_vacant_inspection_unit", "unit_id", "inspected_at"),)

    estate_id: Mapped[uuid.UUID] = _fk("estate")
    unit_id: Mapped[uuid.UUID] = _fk("unit")
    inspected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    inspector: Mapped[str] = mapped_column(String(100))
    findings: Mapped[list] = mapped_column(JSONB, default=list)
    repair_request_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
