"""billing app factory."""

from __future__ import annotations

from fastapi import FastAPI

from propdesk.billing import api, subscribers, timers
from propdesk.billing.config import BillingSettings
from propdesk.billing.models import Base
from propdesk.common.runtime import ServiceDefinition
from propdesk.common.web import create_service_app

SERVICE = ServiceDefinition(
    name="billing",
    title="Billing (收费与对账)",
    description="Fee schedules, invoice runs, payments, double-entry ledger, arrears and dunning, deposits, bank reconciliation.",
    port=8103,
    package="propdesk.billing",
    metadata=Base.metadata,
    routers=api.routers,
    subscriptions=subscribers.subscriptions(),
    timer_handlers=timers.HANDLERS,
    settings_cls=BillingSettings,
)


def create_app(settings: BillingSettings | None = None) -> FastAPI:
    return create_service_app(SERVICE, settings)
