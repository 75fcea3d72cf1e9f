"""incidents's request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ResponseTargetRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    incident_kind: str
    step: str
    target_minutes: int
    source: str


class PlaybookRead(BaseModel):
    key: str
    version: int
    source: Literal["seeded", "estate"]
    document: dict


class TriggerCreate(Input):
    playbook: str = Field(min_length=1, max_length=40, examples=["elevator_entrapment"])
    description: str = Field(min_length=1, max_length=5000)
    building_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None
    floors: list[int] = Field(default_factory=list, max_length=200)
    location: str = Field("", max_length=200)
    drill: bool = False


class IncidentAction(Input):
    action: Literal["acknowledge", "stabilise", "resolve", "close", "cancel"]
    note: str | None = Field(default=None, max_length=5000)


class StepAction(Input):
    action: Literal["acknowledge", "complete", "skip"]
    note: str | None = Field(default=None, max_length=5000)


class PartyCall(Input):
    kind: Literal["fire_brigade", "police", "ambulance", "elevator_contractor", "utility", "family", "other"]
    name: str = Field(min_length=1, max_length=100, examples=["119 指挥中心", "奥的斯维保"])
    phone: str | None = Field(default=None, max_length=32)
    promised_at: AwareDatetime | None = None


class NoteCreate(Input):
    note: str = Field(min_length=1, max_length=5000)


class StepRead(Output):
    key: str
    position: int
    role: str
    kind: str
    title_zh: str = ""
    title_en: str = ""
    due_at: dt.datetime
    state: str
    late: bool = False
    escalation_level: int
    escalations: int
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    done_at: dt.datetime | None
    done_by: str | None
    note: str | None


class PartyRead(Output):
    id: uuid.UUID
    kind: str
    name: str
    phone: str | None
    called_at: dt.datetime
    called_by: str
    promised_at: dt.datetime | None
    arrived_at: dt.datetime | None


class EntryRead(Output):
    kind: str
    actor: str
    note: str | None
    data: dict
    at: dt.datetime


class IncidentRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    reference: str
    playbook_key: str
    playbook_version: int
    severity: str
    drill: bool
    state: str
    active: bool
    title: str
    description: str
    building_id: uuid.UUID | None
    place_id: uuid.UUID | None
    unit_id: uuid.UUID | None
    floors: list[int]
    location: str
    source: str
    source_ref: str | None
    reports: int
    triggered_by: str
    triggered_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    stabilised_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    linked: bool = False
    steps: list[StepRead] = []
    parties: list[PartyRead] = []
    timeline: list[EntryRead] = []
