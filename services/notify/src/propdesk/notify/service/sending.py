"""Sending: a due batch of deliveries goes out concurrently; providers report back through callbacks."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import faults, timers
from propdesk.common.db import settings_of
from propdesk.common.timeutil import utcnow
from propdesk.common.uow import unit_of_work
from propdesk.notify.channels import SendFailed, Sent, send_email, send_via_provider
from propdesk.notify.config import NotifySettings, ProviderConfig
from propdesk.notify.errors import UnknownMessageRef
from propdesk.notify.models import Delivery, DeliveryLog, Message
from propdesk.notify.schemas import CallbackBody, source_of
from propdesk.notify.service import codes, providers
from propdesk.notify.service.providers import SEND_CONCURRENCY, http_client, providers_for
from propdesk.notify.service.render import render
from propdesk.notify.service.templates import template_for


@dataclass(frozen=True)
class Handoff:
    """What one delivery needs to be handed to its provider, taken out of the unit of work that marked it
    `sending` (the hand-off happens after that commit)."""

    id: uuid.UUID
    attempt: int
    channel: str
    address: str
    subject: str
    text: str
    provider: ProviderConfig | None  # None for e-mail (SMTP)


def lease(settings: NotifySettings) -> dt.timedelta:
    """How long a hand-off may take before the delivery's timer takes it for lost (the process died between
    marking it `sending` and recording the provider's answer) and sends it again under the same key."""
    return dt.timedelta(seconds=settings.send_timeout_seconds * 2 + 10)


async def send_many(session: AsyncSession, due: list) -> None:
    """Mark a timer batch's due deliveries `sending` and move their timers a lease ahead; once that has
    committed, hand them to their providers concurrently (`hand_off`), each under its delivery id as the
    provider's idempotency key. A delivery found still `sending` was handed off by a process that died before
    it heard back: it may have arrived, so it goes again to the same provider under the same key, and the
    provider drops it if it has it. Rows another worker holds are moved back a second."""
    settings: NotifySettings = settings_of(session)
    ids = [uuid.UUID(t.payload["delivery_id"]) for t in due]
    waiting = Delivery.state.in_(("pending", "sending"))
    rows = list(
        (
            await session.execute(
                select(Delivery).where(Delivery.id.in_(ids), waiting).with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    locked_elsewhere = set(ids) - {d.id for d in rows}
    busy = (
        (await session.execute(select(Delivery.id).where(Delivery.id.in_(locked_elsewhere), waiting)))
        .scalars()
        .all()
        if locked_elsewhere
        else []
    )
    now = utcnow()
    timers.schedule_many(session, [_timer(i, now + dt.timedelta(seconds=1)) for i in busy])
    if not rows:
        return
    messages = {
        m.id: m
        for m in (
            await session.execute(select(Message).where(Message.id.in_({d.message_id for d in rows})))
        ).scalars()
    }
    wanted = {(d.channel, messages[d.message_id].estate_id) for d in rows if d.channel != "email"}
    by_channel = {key: await providers_for(session, *key) for key in wanted}  # the estate's own first
    templates: dict[tuple, tuple] = {}
    jobs: list[Handoff] = []
    logs: list[DeliveryLog] = []
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
        again = d.state == "sending"
        provider = None
        if d.channel != "email":
            providers = by_channel[(d.channel, m.estate_id)]
            same = [p for p in providers if again and p.name == d.provider]
            provider = same[0] if same else providers[d.attempts % len(providers)] if providers else None
            if provider is None:
                d.attempts += 1
                _failed_attempt(session, d, SendFailed(f"no {d.channel} provider configured"), logs, now)
                continue
        if again:
            logs.append(
                DeliveryLog(
                    delivery_id=d.id,
                    state="resending",
                    detail=f"handed to {d.provider} before a restart: again under the same key",
                )
            )
        d.state, d.attempts = "sending", d.attempts + 1
        d.provider = provider.name if provider else "smtp"
        jobs.append(
            Handoff(
                d.id,
                d.attempts,
                d.channel,
                d.address,
                render(subject or "", context),
                with_reference(render(body, context), m.context, m.language),
                provider,
            )
        )
    session.add_all(logs)
    timers.schedule_many(session, [_timer(j.id, now + lease(settings)) for j in jobs])
    await session.flush()
    if jobs:
        timers.then(session, lambda sessionmaker: hand_off(sessionmaker, settings, jobs))


def with_reference(text: str, context: dict | None, language: str) -> str:
    """Every message says what it is about: the source's human reference (WO-…, INC-…, CASE-…, INV-…) is in
    the text, added at the end when the template did not put it in."""
    source = source_of(context)
    if source is None or not source.reference or source.reference in text:
        return text
    return f"{text}（{source.reference}）" if language.startswith("zh") else f"{text} ({source.reference})"


def _timer(delivery_id: uuid.UUID, due_at: dt.datetime) -> dict:
    return {
        "kind": "delivery.send",
        "key": f"delivery:{delivery_id}",
        "due_at": due_at,
        "payload": {"delivery_id": str(delivery_id)},
    }


async def hand_off(sessionmaker, settings: NotifySettings, jobs: list[Handoff]) -> None:
    """After `sending` committed: send, then record each answer in a unit of work of its own. A delivery whose
    attempt moved on meanwhile (its lease ran out and another pass took it) is left to that pass."""
    limit = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(job: Handoff) -> Sent:
        async with limit:
            if job.provider is None:
                return await send_email(
                    settings, to=job.address, subject=job.subject, body=job.text, message_id=job.id
                )
            return await send_via_provider(
                http_client(),
                job.provider,
                channel=job.channel,
                to=job.address,
                text=job.text,
                delivery_id=job.id,
                timeout=settings.send_timeout_seconds,
            )

    results = await asyncio.gather(*(one(j) for j in jobs), return_exceptions=True)
    if any(isinstance(r, Sent) for r in results):
        faults.hit("notify.after_handoff")  # crash tests: dies with messages at a provider, none recorded
    now = utcnow()
    async with unit_of_work(sessionmaker) as session:
        rows = {
            d.id: d
            for d in (
                await session.execute(
                    select(Delivery)
                    .where(Delivery.id.in_([j.id for j in jobs]), Delivery.state == "sending")
                    .with_for_update()
                )
            ).scalars()
        }
        logs: list[DeliveryLog] = []
        done: list[str] = []
        for job, result in zip(jobs, results, strict=True):
            d = rows.get(job.id)
            if d is None or d.attempts != job.attempt:
                continue
            if isinstance(result, Sent):
                d.state, d.provider, d.provider_ref, d.reason = (
                    "sent",
                    result.provider,
                    result.reference,
                    None,
                )
                detail = f"{result.provider} {result.reference or ''}"
                logs.append(DeliveryLog(delivery_id=d.id, state="sent", detail=detail))
                done.append(f"delivery:{d.id}")
                continue
            error = result if isinstance(result, SendFailed) else SendFailed(repr(result))
            if not _failed_attempt(session, d, error, logs, now):
                done.append(f"delivery:{d.id}")
        session.add_all(logs)
        timers.cancel_many(session, done)


def _failed_attempt(
    session: AsyncSession, d: Delivery, error: SendFailed, logs: list, now: dt.datetime
) -> bool:
    """Record a failed attempt: pending again with its retry timer (True), or failed for good (False)."""
    logs.append(
        DeliveryLog(delivery_id=d.id, state="failed_attempt", detail=f"attempt {d.attempts}: {error}")
    )
    settings: NotifySettings = settings_of(session)
    if d.attempts >= settings.max_attempts:
        d.state, d.reason = "failed", str(error)[:200]
        logs.append(DeliveryLog(delivery_id=d.id, state="failed", detail="no attempts left"))
        return False
    d.state = "pending"
    backoff = settings.retry_base_seconds * 2 ** max(d.attempts - 1, 0)
    timers.schedule_many(session, [_timer(d.id, now + dt.timedelta(seconds=backoff))])
    return True


async def callback(session: AsyncSession, provider: str, request) -> dict:
    """A provider's delivery report (delivered, failed, bounced), applied once."""

    async def apply(report: CallbackBody) -> dict:
        found = await provider_callback(
            session, provider=provider, reference=report.reference, status=report.status, detail=report.detail
        )
        return {"delivery_id": str(found.id), "state": found.state}

    return await providers.from_provider(session, provider, request, CallbackBody, "callback", apply)


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
