"""repairs's request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from propdesk.common.inputs import Input

Category = Literal[
    "plumbing",
    "electrical",
    "doors_windows",
    "elevator",
    "fire_systems",
    "hvac",
    "public_facilities",
    "greenery",
    "security",
]
Urgency = Literal["emergency", "urgent", "normal", "scheduled"]
Milestone = Literal["acknowledge", "dispatch", "arrive", "complete"]
Photo = Annotated[str, Field(min_length=1, max_length=500)]


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SlaTargetRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    category: str | None = None
    urgency: str
    milestone: str
    target_minutes: int
    calendar: str


class SlaTargetWrite(Input):
    category: Category | None = None
    urgency: Urgency
    milestone: Milestone
    target_minutes: int = Field(ge=1, le=60 * 24 * 60)
    calendar: Literal["clock", "business"]


class RepairSettings(Input):
    labour_rate_fen_per_hour: int = Field(8000, ge=0, le=1_000_000, description="integer fen per hour")
    duplicate_window_minutes: int = Field(240, ge=0, le=7 * 24 * 60)
    auto_close_days: int = Field(7, ge=1, le=60)
    auto_dispatch: bool = True


class PriceItemWrite(Input):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=16)
    price_fen: int = Field(ge=0, le=100_000_000)
    active: bool = True


class PriceItemRead(Output):
    id: uuid.UUID
    code: str
    name: str
    unit: str
    price_fen: int
    active: bool


# ---------------------------------------------------------------- work orders


class WorkOrderCreate(Input):
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    category: Category
    problem: str = Field("other", min_length=1, max_length=32)
    urgency: Urgency | None = Field(default=None, description="defaults to the problem's usual urgency")
    description: str = Field(min_length=1, max_length=5000)
    photos: list[Photo] = Field(default_factory=list, max_length=20)
    preferred_from: AwareDatetime | None = None
    preferred_to: AwareDatetime | None = None
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_phone: str | None = Field(default=None, max_length=32)
    payable: bool | None = Field(default=None, description="staff only: override (e.g. under warranty)")

    @model_validator(mode="after")
    def _where_and_when(self) -> WorkOrderCreate:
        if (self.unit_id is None) == (self.place_id is None):
            raise ValueError(
                "give exactly one of unit_id (in a unit) or place_id (a common area or equipment)"
            )
        if self.preferred_from and self.preferred_to and self.preferred_to <= self.preferred_from:
            raise ValueError("preferred_to must be after preferred_from")
        return self


Action = Literal[
    "triage",
    "assign",
    "accept",
    "decline",
    "en_route",
    "arrive",
    "pause",
    "resume",
    "complete",
    "confirm",
    "reject",
    "reopen",
    "cancel",
    "change_urgency",
]


class WorkOrderAction(Input):
    action: Action
    note: str | None = Field(default=None, max_length=5000)
    technician_id: uuid.UUID | None = Field(default=None, description="assign: whom (omit for automatic)")
    reason: str | None = Field(default=None, max_length=500, description="assign (a reassignment), decline")
    pause_reason: Literal["parts", "resident", "access", "weather", "other"] | None = None
    urgency: Urgency | None = None
    labour_minutes: int | None = Field(default=None, ge=0, le=24 * 60 * 7)
    photos: list[Photo] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _fields_per_action(self) -> WorkOrderAction:
        if self.action == "pause" and self.pause_reason is None:
            raise ValueError("a pause needs pause_reason (parts, resident, access, weather, other)")
        if self.action == "change_urgency" and self.urgency is None:
            raise ValueError("change_urgency needs the new urgency")
        if self.action == "complete" and not self.note:
            raise ValueError("completing needs a note of what was done")
        if self.action in ("decline", "reject", "cancel", "reopen") and not (self.note or self.reason):
            raise ValueError(f"{self.action} needs a note saying why")
        if self.action == "assign" and self.technician_id is None and self.reason:
            raise ValueError("a reassignment reason goes with a technician_id")
        return self

    def arguments(self) -> dict:
        """The keyword arguments of the command this action names (`service.transitions.COMMANDS`)."""
        wanted = COMMAND_ARGUMENTS.get(self.action, ())
        args = {name: getattr(self, name) for name in wanted}
        if "reason" not in wanted:  # a reason given to a command that takes none is its note
            args["note"] = self.note or self.reason
        return args


COMMAND_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "assign": ("technician_id", "reason", "note"),
    "decline": ("note", "reason"),
    "pause": ("pause_reason", "note"),
    "complete": ("note", "labour_minutes", "photos"),
    "reject": ("note", "reason"),
    "reopen": ("note", "reason"),
    "cancel": ("note", "reason"),
    "change_urgency": ("urgency", "note"),
}


class PartUse(Input):
    code: str = Field(min_length=1, max_length=32)
    quantity: Decimal = Field(gt=0, le=1000, max_digits=8, decimal_places=2)


class EntryRead(Output):
    kind: str
    from_state: str | None
    to_state: str | None
    actor: str
    note: str | None
    data: dict
    at: dt.datetime


class ReporterRead(Output):
    resident_id: uuid.UUID | None
    name: str
    phone: str | None
    description: str
    reported_at: dt.datetime


class PartRead(Output):
    name: str
    quantity: Decimal
    unit_price_fen: int
    amount_fen: int
    recorded_by: str


class ClockRead(BaseModel):
    milestone: str
    state: str
    target_minutes: int
    calendar: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    breached_at: dt.datetime | None
    elapsed_seconds: int | None
    paused_total_seconds: int


class WorkOrderRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    source: str
    request_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    place_id: uuid.UUID | None
    building_id: uuid.UUID | None
    location: str
    category: str
    problem: str
    urgency: str
    payable: bool
    description: str
    photos: list[str]
    preferred_from: dt.datetime | None
    preferred_to: dt.datetime | None
    reporter_name: str
    state: str
    pause_reason: str | None
    unassignable_reason: str | None = Field(
        default=None, description="why automatic dispatch found nobody; cleared when someone is assigned"
    )
    technician_id: uuid.UUID | None
    next_due_at: dt.datetime | None
    breached: bool
    reopen_count: int
    labour_minutes: int
    resolution: str | None
    completion_photos: list[str]
    charge_fen: int | None
    schedule_id: uuid.UUID | None
    scheduled_for: dt.date | None
    created_at: dt.datetime
    assigned_at: dt.datetime | None
    arrived_at: dt.datetime | None
    completed_at: dt.datetime | None
    closed_at: dt.datetime | None
    linked: bool = Field(False, description="this report was linked to an open order for the same problem")
    clocks: list[ClockRead] = []
    timeline: list[EntryRead] = []
    reporters: list[ReporterRead] = []
    parts: list[PartRead] = []


# ---------------------------------------------------------------- technicians


class WeeklyShift(Input):
    weekday: int = Field(ge=0, le=6, description="0 = Monday")
    starts: dt.time
    ends: dt.time = Field(description="before `starts` for an overnight shift")

    @model_validator(mode="after")
    def _not_empty(self) -> WeeklyShift:
        if self.starts == self.ends:
            raise ValueError("a shift cannot start and end at the same time")
        return self


class OnCall(Input):
    from_at: AwareDatetime
    to_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> OnCall:
        if self.to_at <= self.from_at:
            raise ValueError("to_at must be after from_at")
        if self.to_at - self.from_at > dt.timedelta(days=14):
            raise ValueError("an on-call window is at most 14 days")
        return self


class Rota(Input):
    weekly: list[WeeklyShift] = Field(default_factory=list, max_length=28)
    on_call: list[OnCall] = Field(default_factory=list, max_length=60)


class TechnicianProfile(Input):
    home_building_id: uuid.UUID | None = None


class TechnicianRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    name: str
    phone: str | None
    skills: list[str]
    certificates: list[str]
    active: bool
    home_building_id: uuid.UUID | None
    load: int = 0
    on_shift: bool = False
    rota: Rota | None = None


# ---------------------------------------------------------------- preventive maintenance


class ScheduleCreate(Input):
    place_id: uuid.UUID | None = None
    building_id: uuid.UUID | None = None
    title: str = Field(min_length=1, max_length=200, examples=["A1栋1号电梯半月保养"])
    category: Category
    cron: str = Field(
        min_length=9, max_length=100, examples=["0 9 1,16 * *"], description="estate local time"
    )
    lead_days: int = Field(3, ge=0, le=60, description="generate the work order this many days ahead")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(value) or len(value.split()) != 5:
            raise ValueError("not a valid five-field cron expression, e.g. '0 9 1,16 * *'")
        return value


class ScheduleRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    place_id: uuid.UUID | None
    building_id: uuid.UUID | None
    title: str
    category: str
    cron: str
    lead_days: int
    active: bool
    next_due_on: dt.date
    missed: list[dict] = []
    upcoming: list[dict] = []
