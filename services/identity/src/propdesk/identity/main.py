"""identity app factory."""

from __future__ import annotations

from fastapi import FastAPI

from propdesk.common.runtime import ServiceDefinition
from propdesk.common.web import create_service_app
from propdesk.identity import api, subscribers, timers
from propdesk.identity.config import IdentitySettings
from propdesk.identity.models import Base

SERVICE = ServiceDefinition(
    name="identity",
    title="Identity (账号与登录)",
    description="Accounts, sign-in for staff (password, TOTP, an outside OpenID Connect provider) and residents "
    "(SMS code), short-lived EdDSA tokens with rotating refresh tokens and revocation, the JWKS.",
    port=8106,
    package="propdesk.identity",
    metadata=Base.metadata,
    routers=api.routers,
    subscriptions=subscribers.subscriptions(),
    timer_handlers=timers.HANDLERS,
    settings_cls=IdentitySettings,
)


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    return create_service_app(SERVICE, settings)
