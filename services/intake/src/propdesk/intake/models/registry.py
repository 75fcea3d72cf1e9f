"""The registry: estates and their onboarding, buildings, units, places, residents with their archive,
occupancies, departments, staff and the duty roster. Every other service projects from these."""

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
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from propdesk.common.db import KeyMixin, TimestampMixin
from propdesk.common.ids import uuid7
from propdesk.intake.models.base import Base, estate_fk


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
