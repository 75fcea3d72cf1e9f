"""incidents app factory."""

from __future__ import annotations

from fastapi import FastAPI

from propdesk.common.runtime import ServiceDefinition
from propdesk.common.web import create_service_app
from propdesk.incidents import api, subscribers, timers
from propdesk.incidents.config import IncidentsSettings
from propdesk.incidents.models import Base

SERVICE = ServiceDefinition(
    name="incidents",
    title="Incidents (应急预案)",
    description="Emergency playbooks, incidents, timers and escalations, broadcasts, incident reports, drills.",
    port=8104,
    package="propdesk.incidents",
    metadata=Base.metadata,
    routers=api.routers,
    subscriptions=subscribers.subscriptions(),
    timer_handlers=timers.HANDLERS,
    timer_batch_handlers=timers.BATCH_HANDLERS,
    settings_cls=IncidentsSettings,
)


def create_app(settings: IncidentsSettings | None = None) -> FastAPI:
    return create_service_app(SERVICE, settings)
