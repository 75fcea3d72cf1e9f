"""Sending: a due batch of deliveries goes out concurrently; providers report back through callbacks."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import signatures, timers
from propdesk.common.db import settings_of
from propdesk.common.timeutil import utcnow
from propdesk.notify.channels import SendFailed, Sent, send_email, send_via_provider
from propdesk.notify.config import NotifySettings
from propdesk.notify.errors import InvalidCallback, UnknownMessageRef, UnknownProvider
from propdesk.notify.models import Delivery, DeliveryLog, Message
from propdesk.notify.schemas import CallbackBody
from propdesk.notify.service import codes, providers
from propdesk.notify.service.providers import SEND_CONCURRENCY, http_client, providers_for
from propdesk.notify.service.render import render
from propdesk.notify.service.templates import template_for


async def send_many(session: AsyncSession, due: list) -> None:
    """Send every due e-mail/SMS/push/voice delivery of a timer batch concurrently, then record each
    outcome. Rows another worker holds are moved back a second; failures retry with backoff."""
    settings: NotifySettings = settings_of(session)
    ids = [uuid.UUID(t.payload["delivery_id"]) for t in due]
    rows = list(
        (
            await session.execute(
                select(Delivery)
                .where(Delivery.id.in_(ids), Delivery.state == "pending")
                .with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    locked_elsewhere = set(ids) - {d.id for d in rows}
    busy = (
        (
            await session.execute(
                select(Delivery.id).where(Delivery.id.in_(locked_elsewhere), Delivery.state == "pending")
            )
        )
        .scalars()
        .all()
        if locked_elsewhere
        else []
    )
    now = utcnow()
    if busy:
        timers.schedule_many(
            session,
            [
                {
                    "kind": "delivery.send",
                    "key": f"delivery:{i}",
                    "due_at": now + dt.timedelta(seconds=1),
                    "payload": {"delivery_id": str(i)},
                }
                for i in busy
            ],
        )
    if not rows:
        return
    messages = {
        m.id: m
        for m in (
            await session.execute(select(Message).where(Message.id.in_({d.message_id for d in rows})))
        ).scalars()
    }
    templates: dict[tuple, tuple] = {}
    jobs = []
    for d in rows:
        m = messages[d.message_id]
        key = (m.event_type, d.channel, m.language, m.estate_id)
        if key not in templates:
            templates[key] = await template_for(session, *key)
        subject, body = templates[key]
        context = m.context
        if m.event_type == codes.EVENT:
            context = codes.opened(session, m.context)
            if context is None:
                d.state, d.reason = "failed", "expired"
                continue
        d.state, d.attempts = "sending", d.attempts + 1
        jobs.append((d, m.estate_id, render(subject or "", context), render(body, context)))
    limit = asyncio.Semaphore(SEND_CONCURRENCY)
    wanted = {(d.channel, estate_id) for d, estate_id, _, _ in jobs if d.channel != "email"}
    by_channel = {key: await providers_for(session, *key) for key in wanted}  # the estate's own first

    async def one(d: Delivery, estate_id, subject: str, text: str):
        async with limit:
            if d.channel == "email":
                return await send_email(settings, to=d.address, subject=subject, body=text, message_id=d.id)
            providers = by_channel[(d.channel, estate_id)]
            if not providers:
                raise SendFailed(f"no {d.channel} provider configured")
            return await send_via_provider(
                http_client(),
                providers[(d.attempts - 1) % len(providers)],
                channel=d.channel,
                to=d.address,
                text=text,
                delivery_id=d.id,
                timeout=settings.send_timeout_seconds,
            )

    results = await asyncio.gather(*(one(*job) for job in jobs), return_exceptions=True)
    retries, logs = [], []
    for (d, _, _, _), result in zip(jobs, results, strict=True):
        if isinstance(result, Sent):
            d.state, d.provider, d.provider_ref, d.reason = "sent", result.provider, result.reference, None
            logs.append(
                DeliveryLog(
                    delivery_id=d.id, state="sent", detail=f"{result.provider} {result.reference or ''}"
                )
            )
            continue
        error = result if isinstance(result, SendFailed) else SendFailed(repr(result))
        logs.append(
            DeliveryLog(delivery_id=d.id, state="failed_attempt", detail=f"attempt {d.attempts}: {error}")
        )
        if d.attempts >= settings.max_attempts:
            d.state, d.reason = "failed", str(error)[:200]
            logs.append(DeliveryLog(delivery_id=d.id, state="failed", detail="no attempts left"))
        else:
            d.state = "pending"
            retries.append(
                {
                    "kind": "delivery.send",
                    "key": f"delivery:{d.id}",
                    "payload": {"delivery_id": str(d.id)},
                    "due_at": now + dt.timedelta(seconds=settings.retry_base_seconds * 2 ** (d.attempts - 1)),
                }
            )
    session.add_all(logs)
    timers.schedule_many(session, retries)
    await session.flush()


async def callback(session: AsyncSession, provider: str, request) -> dict:
    """A provider's callback: verified with that provider's secret (Standard Webhooks), then applied once (a
    copy of the message gets the same answer)."""
    config = await providers.named(session, provider)
    if config is None:
        raise UnknownProvider(f"no provider named {provider}")
    message_id, body = await signatures.verify(request, config.secret.get_secret_value())
    try:
        report = CallbackBody.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidCallback(str(exc).split("\n")[0], errors=exc.errors(include_url=False)) from exc

    async def run() -> tuple[object, int]:
        found = await provider_callback(
            session, provider=provider, reference=report.reference, status=report.status, detail=report.detail
        )
        return {"delivery_id": str(found.id), "state": found.state}, 200

    answer, _ = await signatures.once(
        session, sender=f"provider:{provider}", message_id=message_id, route="callback", body=body, run=run
    )
    return answer


async def provider_callback(
    session: AsyncSession, *, provider: str, reference: str, status: str, detail: str | None
) -> Delivery:
    """A provider reports the fate of a message it accepted: delivered, or failed / bounced."""
    try:
        match = (Delivery.id == uuid.UUID(reference)) | (Delivery.provider_ref == reference)
    except ValueError:
        match = Delivery.provider_ref == reference
    stmt = select(Delivery).where(match)
    delivery = (await session.execute(stmt.with_for_update())).scalars().first()
    if delivery is None or delivery.channel in ("inapp", "email") or delivery.provider != provider:
        # a provider reports only on what it sent: another provider's delivery does not exist for it
        raise UnknownMessageRef(f"no delivery of {provider} with reference {reference}")
    if delivery.state in ("delivered", "failed"):
        return delivery  # a repeated callback changes nothing
    delivery.state = "delivered" if status == "delivered" else "failed"
    delivery.reason = None if status == "delivered" else f"{status}: {detail or ''}".strip(": ")[:200]
    session.add(
        DeliveryLog(
            delivery_id=delivery.id,
            state=delivery.state,
            detail=f"callback from {provider}: {status} {detail or ''}".strip(),
        )
    )
    await session.flush()
    return delivery
