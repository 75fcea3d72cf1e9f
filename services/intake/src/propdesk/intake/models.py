"""intake's tables, schema `intake`: the registry (estates, buildings, units, places, residents,
occupancies, staff) and, later, the desk's work."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    Boolean,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.ids import uuid7

SCHEMA = "intake"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


def estate_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"), index=True)


class Estate(KeyMixin, TimestampMixin, Base):
    __tablename__ = "estate"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    address: Mapped[str | None] = mapped_column(String(500))
    provisioning: Mapped[list[EstateProvisioning]] = relationship(
        back_populates="estate", lazy="selectin", order_by="EstateProvisioning.service"
    )


class EstateProvisioning(Base):
    """Which services have reported the estate provisioned (their `*.estate.provisioned` events)."""

    __tablename__ = "estate_provisioning"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.estate.id"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    provisioned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    estate: Mapped[Estate] = relationship(back_populates="provisioning")


class Building(KeyMixin, TimestampMixin, Base):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("estate_id", "code"),)

    estate_id: Mapped[uuid.UUID] = estate_fk()
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    floors: Mapped[int] = mapped_column(Integer)
    elevators: Mapped[int] = mapped_column(Integer, default=0)


class Unit(KeyMixin, TimestampMixin, Base):
    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("estate_id", "number"),
        Index("ix_unit_building_floor", "building_id", "floor"),
    )

    estate_id: Mapped[uuid.UUID] = estate_fk()
    building_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.building.id"))
    entrance: Mapped[str | None] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(64))
    floor: Mapped[int] = mapped_column(Integer)
    area_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))


class Place(KeyMixin, TimestampMixin, Base):
    """A common area or an equipment location: lobby, elevator car 2 of building 3, pump room, car park B1."""

    __tablename__ = "place"
    __table_args__ = (UniqueConstraint("estate_id", "code"),)

    estate_id: Mapped[uuid.UUID] = estate_fk()
    building_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.building.id")
    )
    kind: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    floor: Mapped[int | None] = mapped_column(Integer)


class Resident(KeyMixin, TimestampMixin, Base):
    __tablename__ = "resident"
    __table_args__ = (
        Index("ix_resident_estate_phone", "estate_id", "phone"),
        Index("ix_resident_estate_phone_reversed", "estate_id", "phone_reversed"),  # "the last four digits"
        Index("ix_resident_estate_name", "estate_id", "name", "id"),  # prefix search and its order, one index
        Index("ix_resident_estate_id_hash", "estate_id", "id_number_hash"),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    name: Mapped[str] = mapped_column(
        String(100, collation="C")
    )  # code-point order: LIKE 'prefix%' uses the index
    phone: Mapped[str] = mapped_column(String(20))
    phone_reversed: Mapped[str] = mapped_column(
        String(20, collation="C"), Computed("reverse(phone)", persisted=True)
    )
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    id_number_hash: Mapped[str | None] = mapped_column(String(64))


class Occupancy(KeyMixin, TimestampMixin, Base):
    """Who owns, rents or lives in a unit, from when to when: the unit's occupancy history."""

    __tablename__ = "occupancy"
    __table_args__ = (
        Index(
            "uq_occupancy_active",
            "unit_id",
            "resident_id",
            "role",
            unique=True,
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.unit.id"), index=True)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.resident.id"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


class ResidentChange(Base):
    """The resident archive (业主档案): every change, who made it, old and new value. ID numbers masked."""

    __tablename__ = "resident_change"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    resident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.resident.id"), index=True
    )
    field: Mapped[str] = mapped_column(String(50))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Department(KeyMixin, Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("estate_id", "code"),)

    estate_id: Mapped[uuid.UUID] = estate_fk()
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))


class Staff(KeyMixin, TimestampMixin, Base):
    __tablename__ = "staff"

    estate_id: Mapped[uuid.UUID] = estate_fk()
    department_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.department.id"))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    extension: Mapped[str | None] = mapped_column(String(10))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    certificates: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    department: Mapped[Department] = relationship(lazy="joined")


class DutyShift(KeyMixin, Base):
    """The duty roster: who is on which duty (duty officer, on call, front desk) when."""

    __tablename__ = "duty_shift"
    __table_args__ = (Index("ix_duty_shift_estate_time", "estate_id", "starts_at", "ends_at"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"))
    staff_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("intake.staff.id"))
    duty: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- cases


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


from propdesk.intake import models_life  # noqa: E402,F401  (part 2's tables share this metadata)
