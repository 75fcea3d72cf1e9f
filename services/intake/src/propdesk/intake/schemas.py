from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EstateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

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


class EstateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str
    name: str
    name_en: str | None
    timezone: str
    address: str | None
    created_at: dt.datetime
    provisioned_by: list[str]
    onboarding_complete: bool
