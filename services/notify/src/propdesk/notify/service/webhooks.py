"""Outbound webhooks: other systems subscribe to event types (exact, or a prefix ending in *) and receive
each event's envelope, signed per Standard Webhooks (webhook-id = the event id, so a receiver can
deduplicate), with retries and backoff on durable timers."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import signatures, timers
from propdesk.common.auth import Principal
from propdesk.common.cache import TTLCache
from propdesk.common.db import settings_of
from propdesk.common.errors import Forbidden
from propdesk.common.events import CATALOG, Envelope, redact
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow
from propdesk.notify.channels import post, signed_headers
from propdesk.notify.config import ProviderConfig
from propdesk.notify.errors import WebhookNotFound
from propdesk.notify.models import WebhookDelivery, WebhookSubscription
from propdesk.notify.service.providers import http_client

# The active subscriptions, read for every event notify consumes; forgotten when they change (once committed).
CACHE = TTLCache(ttl=5.0)
SUBSCRIPTIONS = "subscriptions"


def matches(patterns: list[str], event_type: str) -> bool:
    return any(event_type == p or (p.endswith("*") and event_type.startswith(p[:-1])) for p in patterns)


async def enqueue(session: AsyncSession, envelope: Envelope) -> int:
    """Offer an event to the subscriptions that want it: those of its estate and the platform's. A subscription
    not allowed personal data gets the event with names, phones and e-mails masked."""

    async def load():
        rows = await session.execute(
            select(
                WebhookSubscription.id,
                WebhookSubscription.estate_id,
                WebhookSubscription.event_types,
                WebhookSubscription.personal_data,
            ).where(WebhookSubscription.active.is_(True))
        )
        return [tuple(r) for r in rows]

    subs = [
        SimpleNamespace(id=i, estate_id=e, event_types=t, personal_data=p)
        for i, e, t, p in await CACHE.load(session, SUBSCRIPTIONS, load)
    ]
    queued, full, masked = 0, envelope.model_dump(mode="json"), None
    for sub in subs:
        if sub.estate_id not in (None, envelope.estate_id) or not matches(sub.event_types, envelope.type):
            continue
        if not sub.personal_data and masked is None:
            model = CATALOG.get(envelope.type, envelope.version).model
            masked = {**full, "payload": redact(full["payload"], model)}
        delivery_id = (
            await session.execute(
                pg_insert(WebhookDelivery)
                .values(
                    id=uuid.uuid4(),
                    subscription_id=sub.id,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    envelope=full if sub.personal_data else masked,
                    state="pending",
                    attempts=0,
                )
                .on_conflict_do_nothing()
                .returning(WebhookDelivery.id)
            )
        ).scalar()
        if delivery_id is not None:  # a redelivered event is queued once
            timers.schedule(
                session,
                kind="webhook.send",
                key=f"webhook:{delivery_id}",
                due_at=utcnow(),
                payload={"webhook_delivery_id": str(delivery_id)},
            )
            queued += 1
    return queued


async def send(session: AsyncSession, delivery_id: uuid.UUID) -> None:
    settings = settings_of(session)
    delivery = await timers.lock_or_defer(session, WebhookDelivery, delivery_id)
    if delivery is None or delivery.state != "pending":
        return
    sub = await session.get(WebhookSubscription, delivery.subscription_id)
    delivery.attempts += 1
    body = json.dumps(delivery.envelope, ensure_ascii=False)
    target = ProviderConfig(name="webhook", url=sub.url, secret=sub.secret)
    headers = signed_headers(target, str(delivery.event_id), body, dt.datetime.now(dt.UTC))
    status, answer = await post(http_client(), sub.url, body, headers, settings.send_timeout_seconds)
    ok = status is not None and status < 300
    error = answer[:300] if status is None else f"HTTP {status}"
    if ok:
        delivery.state, delivery.last_error = "delivered", None
    elif delivery.attempts >= settings.max_attempts:
        delivery.state, delivery.last_error = "failed", error
    else:
        delivery.last_error = error
        timers.schedule(
            session,
            kind="webhook.send",
            key=f"webhook:{delivery.id}",
            due_at=utcnow()
            + dt.timedelta(seconds=settings.retry_base_seconds * 2 ** (delivery.attempts - 1)),
            payload={"webhook_delivery_id": str(delivery.id)},
        )
    await session.flush()


def _may_manage(principal: Principal, estate_id: uuid.UUID | None) -> None:
    if estate_id is None:
        if not principal.all_estates:
            raise Forbidden(
                Text(
                    "订阅所有小区的事件仅平台管理员可设置",
                    "Only the platform's admins subscribe to every estate's events",
                )
            )
    else:
        principal.require_estate(estate_id)


async def subscribe(
    session: AsyncSession,
    *,
    url: str,
    event_types: list[str],
    estate_id: uuid.UUID | None,
    personal_data: bool,
    principal: Principal,
) -> WebhookSubscription:
    _may_manage(principal, estate_id)
    sub = WebhookSubscription(
        url=url,
        event_types=event_types,
        estate_id=estate_id,
        personal_data=personal_data,
        secret=signatures.new_secret(),
        active=True,
        created_by=principal.sub,
    )
    session.add(sub)
    await session.flush()
    CACHE.invalidate(session, SUBSCRIPTIONS)
    return sub


async def subscriptions(session: AsyncSession, principal: Principal) -> list[WebhookSubscription]:
    """Those the caller manages: their estates' (the platform's admins: every one)."""
    stmt = select(WebhookSubscription).order_by(WebhookSubscription.created_at)
    if not principal.all_estates:
        stmt = stmt.where(WebhookSubscription.estate_id.in_(list(principal.estates)))
    return list((await session.execute(stmt)).scalars())


async def unsubscribe(session: AsyncSession, webhook_id: uuid.UUID, principal: Principal) -> None:
    sub = await session.get(WebhookSubscription, webhook_id, with_for_update=True)
    visible = sub is not None and (principal.all_estates or sub.estate_id in principal.estates)
    if not visible:  # another estate's does not exist for this caller
        raise WebhookNotFound(f"webhook {webhook_id} not found")
    sub.active = False
    CACHE.invalidate(session, SUBSCRIPTIONS)
