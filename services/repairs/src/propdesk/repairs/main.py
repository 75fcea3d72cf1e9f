"""repairs app factory."""

from __future__ import annotations

from fastapi import FastAPI

from propdesk.common.runtime import ServiceDefinition
from propdesk.common.web import create_service_app
from propdesk.repairs import api, subscribers, timers
from propdesk.repairs.config import RepairsSettings
from propdesk.repairs.models import Base

SERVICE = ServiceDefinition(
    name="repairs",
    title="Repairs (报修与维修派工)",
    description="Work orders, multi-milestone SLA clocks, technicians, dispatch, preventive maintenance.",
    port=8102,
    package="propdesk.repairs",
    metadata=Base.metadata,
    routers=api.routers,
    subscriptions=subscribers.subscriptions(),
    timer_handlers=timers.HANDLERS,
    timer_batch_handlers=timers.BATCH_HANDLERS,
    settings_cls=RepairsSettings,
)


def create_app(settings: RepairsSettings | None = None) -> FastAPI:
    return create_service_app(SERVICE, settings)
