"""repairs's tables, schema `repairs`: projections of intake's registry (estates, buildings, units, places,
technicians), SLA targets, the price list, work orders with their timeline, reporters, parts, and
preventive maintenance schedules."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.ids import uuid7
from propdesk.common.projections import estate_projection

SCHEMA = "repairs"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


estate = estate_projection(Base.metadata)  # projection of intake's estates


def _estate() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("repairs.estate.id"), index=True)


# ---------------------------------------------------------------- projections of intake's registry


class Building(Base):
    __tablename__ = "building"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = _estate()
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    floors: Mapped[int] = mapped_column(Integer)


class Unit(Base):
    __tablename__ = "unit"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = _estate()
    building_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    number: Mapped[str] = mapped_column(String(64))
    floor: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))


class Place(Base):
    """A common area or piece of equipment (lobby, elevator car, pump room)."""

    __tablename__ = "place"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = _estate()
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    floor: Mapped[int | None] = mapped_column(Integer)


class Technician(Base):
    """A technician keyed to intake's staff id (projected), with repairs' own profile: home building, shifts."""

    __tablename__ = "technician"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)  # intake's staff id
    estate_id: Mapped[uuid.UUID] = _estate()
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)), default=list)
    certificates: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    home_building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC)
    )


class Shift(KeyMixin, Base):
    """A weekly working window (weekday 0 = Monday, local time), or a dated on-call window."""

    __tablename__ = "shift"
    __table_args__ = (Index("ix_shift_technician", "technician_id"),)

    technician_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("repairs.technician.id"))
    kind: Mapped[str] = mapped_column(String(10))  # weekly | on_call
    weekday: Mapped[int | None] = mapped_column(SmallInteger)
    starts: Mapped[dt.time | None] = mapped_column(Time)
    ends: Mapped[dt.time | None] = mapped_column(Time)
    from_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    to_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- settings, targets, prices


class SlaTarget(KeyMixin, TimestampMixin, Base):
    """SLA targets per estate × urgency × milestone, optionally for one category (DOMAIN.md defaults)."""

    __tablename__ = "sla_target"
    __table_args__ = (
        UniqueConstraint("estate_id", "urgency", "milestone", "category", postgresql_nulls_not_distinct=True),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("repairs.estate.id"))
    category: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    milestone: Mapped[str] = mapped_column(String(16))
    target_minutes: Mapped[int] = mapped_column(Integer())
    calendar: Mapped[str] = mapped_column(String(16))


class EstateSettings(Base):
    __tablename__ = "estate_settings"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("repairs.estate.id"), primary_key=True
    )
    labour_rate_fen_per_hour: Mapped[int] = mapped_column(Integer, default=8000)
    duplicate_window_minutes: Mapped[int] = mapped_column(Integer, default=240)
    auto_close_days: Mapped[int] = mapped_column(Integer, default=7)
    auto_dispatch: Mapped[bool] = mapped_column(Boolean, default=True)


class PriceItem(KeyMixin, TimestampMixin, Base):
    """The estate's parts price list (integer fen)."""

    __tablename__ = "price_item"
    __table_args__ = (UniqueConstraint("estate_id", "code"),)

    estate_id: Mapped[uuid.UUID] = _estate()
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(16))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# ---------------------------------------------------------------- work orders


class WorkOrder(KeyMixin, TimestampMixin, Base):
    __tablename__ = "work_order"
    __table_args__ = (
        UniqueConstraint("reference"),
        Index("ix_work_order_estate_state_due", "estate_id", "state", "next_due_at"),
        Index("ix_work_order_technician_state", "technician_id", "state"),
        Index("ix_work_order_place_category_open", "place_id", "category", postgresql_where=text("open")),
        Index("ix_work_order_unit", "unit_id", "created_at"),
        Index(  # technicians' current load, counted from this index alone on every dispatch
            "ix_work_order_busy_load",
            "estate_id",
            "technician_id",
            postgresql_where=text("state IN ('assigned', 'accepted', 'en_route', 'on_site', 'paused')"),
        ),
        Index(
            "uq_work_order_request",
            "request_id",
            unique=True,
            postgresql_where=text("request_id IS NOT NULL"),
        ),
        Index("ix_work_order_incident", "incident_id", postgresql_where=text("incident_id IS NOT NULL")),
        Index(
            "uq_work_order_schedule_due",
            "schedule_id",
            "scheduled_for",
            unique=True,
            postgresql_where=text("schedule_id IS NOT NULL"),
        ),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("repairs.estate.id"))
    reference: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # a playbook step asked for it
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    place_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    location: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(32))
    problem: Mapped[str] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(16))
    payable: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text)
    photos: Mapped[list] = mapped_column(JSONB, default=list)
    preferred_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    preferred_to: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reporter_resident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reporter_name: Mapped[str] = mapped_column(String(100), default="")
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    state: Mapped[str] = mapped_column(String(16))
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_from: Mapped[str | None] = mapped_column(String(16))
    pause_reason: Mapped[str | None] = mapped_column(String(20))
    # why automatic dispatch found nobody (the dispatcher's board shows these on top); cleared on assignment
    unassignable_reason: Mapped[str | None] = mapped_column(String(500))
    technician_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("repairs.technician.id")
    )
    declined_by: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    # who did the work before it was reopened: automatic dispatch tries another qualified technician first
    last_technician_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    clocks: Mapped[dict] = mapped_column(JSONB, default=dict)
    next_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    reopen_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    labour_minutes: Mapped[int] = mapped_column(Integer, default=0)  # the order's labour so far
    labour_charged_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resolution: Mapped[str | None] = mapped_column(Text)
    completion_photos: Mapped[list] = mapped_column(JSONB, default=list)
    charge_fen: Mapped[int | None] = mapped_column(BigInteger)
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    scheduled_for: Mapped[dt.date | None] = mapped_column(Date)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class WorkOrderEntry(Base):
    """The timeline: every transition with who, when and a note; SLA warnings and breaches too."""

    __tablename__ = "work_order_entry"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    work_order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("repairs.work_order.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC))


class WorkOrderReporter(Base):
    """Everyone who reported the problem: the first report and every duplicate linked to it."""

    __tablename__ = "work_order_reporter"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    work_order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("repairs.work_order.id"), index=True
    )
    resident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    reported_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC)
    )


class WorkOrderPart(KeyMixin, Base):
    __tablename__ = "work_order_part"

    work_order_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("repairs.work_order.id"), index=True
    )
    price_item_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("repairs.price_item.id"))
    name: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[float] = mapped_column(Numeric(10, 2))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    recorded_by: Mapped[str] = mapped_column(String(100))
    charge_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # the charge that billed it


# ---------------------------------------------------------------- preventive maintenance


class MaintenanceSchedule(KeyMixin, TimestampMixin, Base):
    """A recurring visit to a piece of equipment (croniter expression, estate local time)."""

    __tablename__ = "maintenance_schedule"

    estate_id: Mapped[uuid.UUID] = _estate()
    place_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    cron: Mapped[str] = mapped_column(String(100))
    lead_days: Mapped[int] = mapped_column(SmallInteger, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_due_on: Mapped[dt.date] = mapped_column(Date)
