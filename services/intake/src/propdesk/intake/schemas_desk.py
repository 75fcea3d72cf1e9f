"""Request and response models of the desk: repair requests, calls, messages, callbacks, visitors."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field, model_validator

from propdesk.intake.schemas import IdNumber, Input, Output, Phone

RepairCategory = Literal[
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


class RepairRequestCreate(Input):
    unit_id: uuid.UUID | None = None
    place_id: uuid.UUID | None = None
    category: RepairCategory
    urgency: Literal["emergency", "urgent", "normal", "scheduled"] = "normal"
    description: str = Field(min_length=1, max_length=5000)
    resident_id: uuid.UUID | None = None
    reporter_name: str | None = Field(default=None, max_length=100)
    reporter_phone: Phone | None = None
    preferred_from: dt.datetime | None = None
    preferred_to: dt.datetime | None = None
    photos: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _where_and_when(self) -> RepairRequestCreate:
        if (self.unit_id is None) == (self.place_id is None):
            raise ValueError("give exactly one of unit_id (in a unit) or place_id (a common area)")
        if self.preferred_from and self.preferred_to and self.preferred_to <= self.preferred_from:
            raise ValueError("preferred_to must be after preferred_from")
        return self


class RepairRequestRead(Output):
    id: uuid.UUID
    estate_id: uuid.UUID
    unit_id: uuid.UUID | None
    place_id: uuid.UUID | None
    category: str
    urgency: str
    description: str
    source: str
    source_id: uuid.UUID | None
    work_order_id: uuid.UUID | None
    work_order_reference: str | None
    created_at: dt.datetime


class VisitorIdentity(Input):
    name: str = Field(min_length=1, max_length=100)
    phone: Phone | None = None
    id_number: IdNumber | None = None


__all__ = ["RepairRequestCreate", "RepairRequestRead", "VisitorIdentity"]
