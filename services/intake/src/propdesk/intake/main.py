"""intake app factory."""

from __future__ import annotations

from fastapi import FastAPI

from propdesk.common.runtime import ServiceDefinition
from propdesk.common.web import create_service_app
from propdesk.intake import api, subscribers, timers
from propdesk.intake.config import IntakeSettings
from propdesk.intake.models import Base
from propdesk.intake.service.republish import republish

SERVICE = ServiceDefinition(
    name="intake",
    title="Front desk and registry (客服中心)",
    description="Estates, units, residents and staff; visitors, calls, cases, follow-ups. "
    "The registry every other service projects from.",
    port=8101,
    package="propdesk.intake",
    metadata=Base.metadata,
    routers=api.routers,
    subscriptions=subscribers.subscriptions(),
    timer_handlers=timers.HANDLERS,
    settings_cls=IntakeSettings,
    republish=republish,
)


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    return create_service_app(SERVICE, settings)
