"""The registry: estates, buildings, units, places, residents and occupancies, staff and duty, imports."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Literal
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from propdesk.intake.schemas.common import (
    Area,
    Code,
    IdNumber,
    Input,
    Language,
    OccupancyRole,
    Output,
    Phone,
    UnitKind,
    UnitState,
)

# ---------------------------------------------------------------- estates


class EstateCreate(Input):
    code: str = Field(
        min_length=2,
        max_length=32,
        pattern=r"^[A-Z][A-Z0-9-]*$",
        description="short code used in references, e.g. YMS",
    )
    name: str = Field(min_length=1, max_length=200, description="name, e.g. 阳明山庄")
    name_en: str | None = Field(default=None, max_length=200)
    timezone: str = "Asia/Shanghai"
    address: str | None = Field(default=None, max_length=500)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone {value!r}")
        return value


class EstateRead(Output):
    id: uuid.UUID
    code: str
    name: str
    name_en: str | None
    timezone: str
    address: str | None
    created_at: dt.datetime
    provisioned_by: list[str]
    onboarding_complete: bool


# ---------------------------------------------------------------- places


class BuildingCreate(Input):
    code: Code
    name: str = Field(min_length=1, max_length=100)
    floors: int = Field(ge=1, le=200)
    elevators: int = Field(default=0, ge=0, le=50)


class BuildingRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    code: str
    name: str
    floors: int
    elevators: int


class UnitCreate(Input):
    building_id: uuid.UUID
    number: str = Field(min_length=1, max_length=64, description="unique in the estate, e.g. A3-0201")
    entrance: str | None = Field(default=None, max_length=32)
    floor: int = Field(ge=-10, le=200)
    area_m2: Area
    kind: UnitKind = "residential"
    state: UnitState = "vacant"


class UnitUpdate(Input):
    entrance: str | None = Field(default=None, max_length=32)
    area_m2: Area | None = None
    kind: UnitKind | None = None
    state: UnitState | None = None


class UnitRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID
    entrance: str | None
    number: str
    floor: int
    area_m2: Decimal
    kind: UnitKind
    state: UnitState


class PlaceCreate(Input):
    kind: Literal[
        "lobby",
        "elevator",
        "pump_room",
        "car_park",
        "power_room",
        "fire_control_room",
        "garden",
        "corridor",
        "roof",
        "gate",
        "other",
    ]
    code: Code
    name: str = Field(
        min_length=1, max_length=100, description="e.g. 3栋2号电梯轿厢 (elevator car 2, building 3)"
    )
    building_id: uuid.UUID | None = None
    floor: int | None = Field(default=None, ge=-10, le=200)


class PlaceRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID | None
    kind: str
    code: str
    name: str
    floor: int | None


# ---------------------------------------------------------------- people


class OccupancyCreate(Input):
    unit_id: uuid.UUID
    role: OccupancyRole
    started_on: dt.date = Field(default_factory=dt.date.today)


class OccupancyOfResident(Input):
    resident_id: uuid.UUID
    role: OccupancyRole
    started_on: dt.date = Field(default_factory=dt.date.today)


class OccupancyEnd(Input):
    ended_on: dt.date = Field(default_factory=dt.date.today)


class OccupancyRead(Output):
    id: uuid.UUID
    unit_id: uuid.UUID
    unit_number: str | None = Field(None, description="the unit as the desk says it (A3-0201)")
    resident_id: uuid.UUID
    role: OccupancyRole
    started_on: dt.date
    ended_on: dt.date | None


class ResidentCreate(Input):
    name: str = Field(min_length=1, max_length=100)
    phone: Phone
    email: EmailStr | None = None
    language: Language = "zh-CN"
    id_number: IdNumber | None = Field(
        default=None, description="checked, then stored only masked plus a keyed hash"
    )
    occupancy: OccupancyCreate | None = None


class IdNumberSearch(Input):
    id_number: IdNumber


class ResidentUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: Phone | None = None
    email: EmailStr | None = None
    language: Language | None = None
    id_number: IdNumber | None = None

    @model_validator(mode="after")
    def _something(self) -> ResidentUpdate:
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        return self


class ResidentRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    phone: str
    email: str | None
    language: Language
    id_number_masked: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    occupancies: list[OccupancyRead] = []


class ResidentChangeRead(Output):
    field: str
    old_value: str | None
    new_value: str | None
    actor: str
    changed_at: dt.datetime


# ---------------------------------------------------------------- staff


class DepartmentRead(Output):
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str


StaffRole = Literal["receptionist", "dispatcher", "technician", "duty_officer", "finance", "manager", "admin"]


class StaffCreate(Input):
    name: str = Field(min_length=1, max_length=100)
    department: Literal["customer_service", "engineering", "security", "cleaning", "finance", "management"]
    roles: list[StaffRole] = Field(min_length=1)
    phone: Phone | None = None
    extension: str | None = Field(default=None, pattern=r"^\d{2,6}$")
    skills: list[str] = Field(default_factory=list, max_length=20)
    certificates: list[str] = Field(default_factory=list, max_length=20)


class StaffUpdate(Input):
    department: (
        Literal["customer_service", "engineering", "security", "cleaning", "finance", "management"] | None
    ) = None
    roles: list[StaffRole] | None = Field(default=None, min_length=1)
    phone: Phone | None = None
    extension: str | None = Field(default=None, pattern=r"^\d{2,6}$")
    skills: list[str] | None = None
    certificates: list[str] | None = None
    active: bool | None = None


class StaffRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    department: str
    roles: list[str]
    phone: str | None
    extension: str | None
    skills: list[str]
    certificates: list[str]
    active: bool


class DutyShiftCreate(Input):
    staff_id: uuid.UUID
    duty: Literal["duty_officer", "on_call_engineer", "front_desk", "security_patrol", "dispatcher"] = Field(
        title="值班类别",
        description="duty_officer 值班经理/值班员, on_call_engineer 值班工程师, front_desk 前台, "
        "security_patrol 巡逻保安, dispatcher 调度",
    )
    starts_at: dt.datetime
    ends_at: dt.datetime

    @model_validator(mode="after")
    def _window(self) -> DutyShiftCreate:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a time zone offset, e.g. 2026-12-01T08:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > dt.timedelta(hours=48):
            raise ValueError("a shift lasts at most 48 hours")
        return self


class DutyShiftRead(Output):
    id: uuid.UUID
    staff_id: uuid.UUID
    duty: str
    starts_at: dt.datetime
    ends_at: dt.datetime


# ---------------------------------------------------------------- imports


class ImportRowError(BaseModel):
    row: int = Field(description="spreadsheet row number (the header is row 1)")
    field: str | None
    message: str


class ImportReport(BaseModel):
    kind: Literal["units", "residents"]
    rows: int
    imported: int
    skipped: int
    errors: list[ImportRowError]
