"""intake's registry events: estates, buildings, units, places, residents, occupancies, staff (full
snapshots that every other service projects from)."""

from __future__ import annotations

import datetime
import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event, personal

Service = Literal["repairs", "billing", "incidents", "notify"]


@event(
    "intake.estate.registered",
    summary="An estate (小区) was registered; other services open their projection.",
)
class EstateRegistered(EventPayload):
    estate_id: uuid.UUID
    code: str = Field(description="short estate code used in references, e.g. YMS")
    name: str
    name_en: str | None = None
    timezone: str = "Asia/Shanghai"
    address: str | None = None


@event("intake.estate.onboarding_completed", summary="Every service reported the estate provisioned.")
class EstateOnboardingCompleted(EventPayload):
    estate_id: uuid.UUID
    services: list[str]


# ---------------------------------------------------------------- registry snapshots
# Registered and updated events carry the full current state, so a projection is a simple upsert.

UnitKind = Literal["residential", "shop", "parking"]
UnitState = Literal["vacant", "occupied", "renovating"]
Language = Literal["zh-CN", "en"]
OccupancyRole = Literal["owner", "tenant", "household_member"]


class BuildingSnapshot(EventPayload):
    building_id: uuid.UUID
    estate_id: uuid.UUID
    code: str
    name: str
    floors: int
    elevators: int = 0


@event("intake.building.registered", summary="A building (楼栋) was added to an estate.")
class BuildingRegistered(BuildingSnapshot):
    pass


class UnitSnapshot(EventPayload):
    unit_id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID
    entrance: str | None = None
    number: str
    floor: int
    area_m2: str = Field(description="decimal, two places, e.g. '118.37'")
    kind: UnitKind
    state: UnitState


@event("intake.unit.registered", summary="A unit (房号) was registered: its area and kind drive billing.")
class UnitRegistered(UnitSnapshot):
    pass


@event("intake.unit.updated", summary="A unit's state, area or kind changed (full snapshot).")
class UnitUpdated(UnitSnapshot):
    pass


@event(
    "intake.place.registered", summary="A common area or equipment location (lobby, elevator car, pump room)."
)
class PlaceRegistered(EventPayload):
    place_id: uuid.UUID
    estate_id: uuid.UUID
    building_id: uuid.UUID | None = None
    kind: str
    code: str
    name: str
    floor: int | None = None


class ResidentSnapshot(EventPayload):
    resident_id: uuid.UUID
    estate_id: uuid.UUID
    name: str = personal()
    phone: str = personal(description="E.164, e.g. +8613812345678")
    email: str | None = personal(default=None)
    language: Language = "zh-CN"


@event("intake.resident.registered", summary="A resident (owner, tenant or household member) was registered.")
class ResidentRegistered(ResidentSnapshot):
    pass


@event("intake.resident.updated", summary="A resident's contact details or language changed (full snapshot).")
class ResidentUpdated(ResidentSnapshot):
    pass


class OccupancySnapshot(EventPayload):
    occupancy_id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID
    resident_id: uuid.UUID
    role: OccupancyRole
    started_on: datetime.date
    ended_on: datetime.date | None = None


@event(
    "intake.occupancy.started",
    summary="A resident started living in or owning a unit; billing finds payers here.",
)
class OccupancyStarted(OccupancySnapshot):
    pass


@event("intake.occupancy.ended", summary="A resident's occupancy of a unit ended (moved out, sold).")
class OccupancyEnded(OccupancySnapshot):
    pass


class StaffSnapshot(EventPayload):
    staff_id: uuid.UUID
    estate_id: uuid.UUID
    name: str = personal()
    department: str
    roles: list[str]
    phone: str | None = personal(default=None)
    extension: str | None = None
    skills: list[str] = []
    certificates: list[str] = []
    active: bool = True


@event(
    "intake.staff.registered", summary="A staff member joined an estate's directory (technicians included)."
)
class StaffRegistered(StaffSnapshot):
    pass


@event("intake.staff.updated", summary="A staff member's department, roles, contacts or status changed.")
class StaffUpdated(StaffSnapshot):
    pass


DUTIES = ("duty_officer", "on_call_engineer", "front_desk", "security_patrol", "dispatcher")


class DutyShiftSnapshot(EventPayload):
    """A shift on the estate's one duty roster (intake's): who holds which duty from when to when."""

    shift_id: uuid.UUID
    estate_id: uuid.UUID
    staff_id: uuid.UUID
    duty: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime


@event(
    "intake.duty_shift.scheduled",
    summary="Someone was put on the duty roster: notify routes staff alerts, escalations and emergency calls to "
    "whoever holds the duty now; repairs takes on-call engineers' shifts as their on-call windows.",
)
class DutyShiftScheduled(DutyShiftSnapshot):
    pass


@event("intake.duty_shift.cancelled", summary="A shift was taken off the duty roster.")
class DutyShiftCancelled(DutyShiftSnapshot):
    pass
