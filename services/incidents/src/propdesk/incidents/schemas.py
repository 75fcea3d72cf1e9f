"""incidents's request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from propdesk.common.inputs import Input


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
    work_order_id: uuid.UUID | None = None
    work_order_reference: str | None = Field(None, description="a repair step's work order, WO-…")


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


class BroadcastCreate(Input):
    key: str | None = Field(default=None, max_length=40, description="one of the playbook's broadcasts")
    title_zh: str | None = Field(default=None, max_length=200)
    body_zh: str | None = Field(default=None, max_length=2000)
    title_en: str | None = Field(default=None, max_length=200)
    body_en: str | None = Field(default=None, max_length=2000)
    ask_reply: bool = True
    building_ids: list[uuid.UUID] | None = Field(default=None, description="override the playbook's scope")
    floors: list[int] = Field(default_factory=list, max_length=200)


class BroadcastRead(Output):
    id: uuid.UUID
    purpose: str
    scope: dict
    title_zh: str
    title_en: str
    ask_reply: bool
    staff_only: bool
    sent_at: dt.datetime
    sent_by: str


class ReplyCreate(Input):
    unit_id: uuid.UUID
    status: Literal["safe", "need_help"]
    note: str | None = Field(default=None, max_length=1000)


class ReplyRead(Output):
    id: uuid.UUID
    unit_id: uuid.UUID
    status: str
    note: str | None
    at: dt.datetime


class HelpTaskRead(Output):
    id: uuid.UUID
    unit_id: uuid.UUID
    note: str | None
    state: str
    created_at: dt.datetime
    done_at: dt.datetime | None
    done_by: str | None


class OutageCreate(Input):
    kind: Literal["water", "power"]
    building_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=200, description="none: the whole estate"
    )
    floors: list[int] = Field(default_factory=list, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=500, examples=["二次供水水箱清洗"])
    notice_at: AwareDatetime | None = Field(default=None, description="when residents are told (default now)")


class OutageRead(Output):
    id: uuid.UUID
    reference: str
    kind: str
    building_ids: list[uuid.UUID]
    floors: list[int]
    starts_at: dt.datetime
    ends_at: dt.datetime
    reason: str
    notice_at: dt.datetime
    reminder_at: dt.datetime
    state: str
    noticed_at: dt.datetime | None
    reminded_at: dt.datetime | None
    all_clear_at: dt.datetime | None


class FollowUpTask(Input):
    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=100)
    due_on: dt.date


class ReviewCreate(Input):
    summary: str = Field(min_length=1, max_length=5000)
    causes: str | None = Field(default=None, max_length=5000)
    follow_ups: list[FollowUpTask] = Field(default_factory=list, max_length=50)


class AlarmEvent(Input):
    """What an alarm panel posts (signed per Standard Webhooks; the estate is part of what is signed)."""

    event_id: str = Field(min_length=1, max_length=100)
    estate_id: uuid.UUID = Field(description="the estate the panel guards: must be the one in the URL")
    panel: str = Field(min_length=1, max_length=100)
    kind: Literal["fire", "smoke", "sprinkler", "manual_call_point"]
    building_id: uuid.UUID | None = None
    zone: str = Field("", max_length=100)
    floors: list[int] = Field(default_factory=list, max_length=200)
