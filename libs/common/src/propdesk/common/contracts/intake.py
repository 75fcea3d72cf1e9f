"""Events produced by intake, the registry everything else projects from."""

from __future__ import annotations

import uuid
from typing import Literal

from propdesk.common.events import EventPayload, Field, event

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
