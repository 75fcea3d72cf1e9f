"""notify app factory."""

from __future__ import annotations

from fastapi import FastAPI

from propdesk.common.runtime import ServiceDefinition
from propdesk.common.web import create_service_app
from propdesk.notify import api, subscribers, timers
from propdesk.notify.config import NotifySettings
from propdesk.notify.models import Base
from propdesk.notify.service.providers import close_clients

SERVICE = ServiceDefinition(
    name="notify",
    title="Notify (通知)",
    description="Templates in zh-CN and en, channels with fallback, preferences and quiet hours, delivery tracking, broadcasts, digests.",
    port=8105,
    package="propdesk.notify",
    metadata=Base.metadata,
    routers=api.routers,
    subscriptions=subscribers.subscriptions(),
    timer_handlers=timers.HANDLERS,
    timer_batch_handlers=timers.BATCH_HANDLERS,
    settings_cls=NotifySettings,
    on_stop=close_clients,
)


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(SERVICE, settings)
