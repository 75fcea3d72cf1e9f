"""Configuration: quiet hours, providers, outbound webhook subscriptions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.notify.api.deps import ADMINS, DESK_READERS, MANAGERS
from propdesk.notify.schemas import (
    ProviderRead,
    ProviderWrite,
    QuietHoursRead,
    QuietHoursWrite,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from propdesk.notify.service import providers, quiet, webhooks

router = APIRouter(tags=["notify"])


@router.get(
    "/v1/estates/{estate_id}/quiet-hours",
    response_model=list[QuietHoursRead],
    summary="Quiet hours that hold back non-urgent messages until morning, estate time",
)
async def quiet_hours(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(DESK_READERS)):
    principal.require_estate(estate_id)
    return await quiet.of_estate(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/quiet-hours",
    response_model=list[QuietHoursRead],
    summary="Set the estate's quiet hours (non-critical SMS and e-mail wait until they end)",
)
async def set_quiet_hours(
    estate_id: uuid.UUID, data: QuietHoursWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    return await quiet.set_hours(session, estate_id, starts=data.starts, ends=data.ends)


@router.post(
    "/v1/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    summary="Send an estate's events to another system (its admins; every estate's: the platform's admins), signed "
    "per Standard Webhooks (the secret is shown once); names, phones and e-mails masked unless personal_data",
)
async def create_webhook(data: WebhookCreate, session: Session, principal: Principal = Depends(ADMINS)):
    sub = await webhooks.subscribe(session, **data.model_dump(), principal=principal)
    return WebhookCreated(**WebhookRead.model_validate(sub).model_dump(), secret=sub.secret)


@router.get("/v1/webhooks", response_model=list[WebhookRead])
async def list_webhooks(session: Session, principal: Principal = Depends(ADMINS)):
    return await webhooks.subscriptions(session, principal)


@router.delete("/v1/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: uuid.UUID, session: Session, principal: Principal = Depends(ADMINS)):
    await webhooks.unsubscribe(session, webhook_id, principal)


@router.get(
    "/v1/providers",
    response_model=list[ProviderRead],
    summary="Providers the caller manages: their estates' (the platform's admins: all); secrets hidden",
)
async def list_providers(session: Session, principal: Principal = Depends(MANAGERS)):
    return await providers.managed(session, principal)


@router.put(
    "/v1/providers/{name}",
    response_model=ProviderRead,
    summary="Add or change an SMS / push / voice provider for an estate's messages (its managers) or every estate's "
    "(the platform's admins); tried by priority before those in settings",
)
async def put_provider(
    name: str, data: ProviderWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    return await providers.put(
        session,
        name,
        channel=data.channel,
        url=data.url,
        priority=data.priority,
        active=data.active,
        estate_id=data.estate_id,
        secret=data.secret.get_secret_value() if data.secret is not None else None,
        principal=principal,
    )
