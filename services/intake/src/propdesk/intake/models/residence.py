"""A household's life with the estate: move-in handovers, renovations with their inspections, violations
with their fines, vacant-unit inspections."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Date,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin
from propdesk.intake.models.base import Base, fk


class MoveIn(KeyMixin, TimestampMixin, Base):
    """入住交付: the handover checklist, keys and meter readings; later the move-out with its readings."""

    __tablename__ = "move_in"

    estate_id: Mapped[uuid.UUID] = fk("estate")
    unit_id: Mapped[uuid.UUID] = fk("unit", index=True)
    resident_id: Mapped[uuid.UUID] = fk("resident", index=True)
    occupancy_id: Mapped[uuid.UUID] = fk("occupancy")
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

    estate_id: Mapped[uuid.UUID] = fk("estate")
    unit_id: Mapped[uuid.UUID] = fk("unit", index=True)
    resident_id: Mapped[uuid.UUID | None] = fk("resident", nullable=True)
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

    renovation_id: Mapped[uuid.UUID] = fk("renovation", index=True)
    kind: Mapped[str] = mapped_column(String(16), default="routine")
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    inspector_id: Mapped[uuid.UUID | None] = fk("staff", nullable=True)
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

    estate_id: Mapped[uuid.UUID] = fk("estate")
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[uuid.UUID | None] = fk("unit", nullable=True, index=True)
    place_id: Mapped[uuid.UUID | None] = fk("place", nullable=True)
    resident_id: Mapped[uuid.UUID | None] = fk("resident", nullable=True)
    renovation_id: Mapped[uuid.UUID | None] = fk("renovation", nullable=True, index=True)
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

    violation_id: Mapped[uuid.UUID] = fk("violation", index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    fined_by: Mapped[str] = mapped_column(String(100))


class VacantInspection(KeyMixin, TimestampMixin, Base):
    """One periodic inspection of a vacant unit (空置房巡查) with its findings."""

    __tablename__ = "vacant_inspection"
    __table_args__ = (Index("ix_vacant_inspection_unit", "unit_id", "inspected_at"),)

    estate_id: Mapped[uuid.UUID] = fk("estate")
    unit_id: Mapped[uuid.UUID] = fk("unit")
    inspected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    inspector: Mapped[str] = mapped_column(String(100))
    findings: Mapped[list] = mapped_column(JSONB, default=list)
    repair_request_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
