from __future__ import annotations

import re
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.errors import DomainError, Forbidden, InvalidInput, NotFound
from propdesk.common.events import CATALOG
from propdesk.common.i18n import Text
from propdesk.common.ids import uuid7
from propdesk.common.pagination import Page, PageParams, page_of, page_params, paginate
from propdesk.common.timeutil import utcnow
from propdesk.common.web import CurrentPrincipal, Session
from propdesk.notify.defaults import default_templates
from propdesk.notify.models import (
    Delivery,
    Message,
    Preference,
    Provider,
    Recipient,
    Template,
    WebhookSubscription,
)
from propdesk.notify.schemas import (
    CallbackBody,
    DeliveryRead,
    InboxItem,
    NoticeCreate,
    NoticeResult,
    PreferenceWrite,
    PreviewRequest,
    PreviewResponse,
    ProviderRead,
    ProviderWrite,
    QuietHoursRead,
    QuietHoursWrite,
    TemplateRead,
    TemplateWrite,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from propdesk.notify.service import delivery, providers, sending, webhooks
from propdesk.notify.service import estates as service
from propdesk.notify.service import recipients as recipients_service
from propdesk.notify.service.broadcast import broadcast
from propdesk.notify.service.delivery import CONFIG
from propdesk.notify.service.render import TemplateBroken, render

router = APIRouter(tags=["notify"])
MANAGERS = require_roles(Role.manager)
SENDERS = require_roles(Role.manager, Role.duty_officer)


class MessageNotFound(NotFound):
    code = "message-not-found"
    title = Text("消息不存在", "Message not found")


@router.get(
    "/v1/estates/{estate_id}/quiet-hours",
    response_model=list[QuietHoursRead],
    summary="Quiet hours that hold back non-urgent messages until morning, estate time",
)
async def quiet_hours(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(require_roles(Role.manager, Role.receptionist)),
):
    principal.require_estate(estate_id)
    return await service.list_defaults(session, estate_id)


@router.put(
    "/v1/estates/{estate_id}/quiet-hours",
    response_model=list[QuietHoursRead],
    summary="Set the estate's quiet hours (non-critical SMS and e-mail wait until they end)",
)
async def set_quiet_hours(
    estate_id: uuid.UUID, data: QuietHoursWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    rows = await service.list_defaults(session, estate_id)
    for row in rows:
        row.starts, row.ends = data.starts, data.ends
    CONFIG.discard(("quiet", estate_id))
    return rows


# ---------------------------------------------------------------- the inbox: everyone sees only their own


def me(principal: Principal) -> uuid.UUID:
    try:
        return uuid.UUID(principal.sub)
    except ValueError:
        raise Forbidden(Text("此令牌不属于任何收件人", "This token belongs to no recipient")) from None


@router.get("/v1/me/inbox", response_model=Page[InboxItem], summary="My in-app messages, newest first")
async def inbox(
    session: Session,
    principal: CurrentPrincipal,
    unread: bool | None = None,
    params: PageParams = Depends(page_params),
):
    stmt = select(Message).where(Message.recipient_id == me(principal))
    if unread is not None:
        stmt = stmt.where(Message.read_at.is_(None) if unread else Message.read_at.is_not(None))
    rows = (
        (await session.execute(paginate(stmt, params, key=Message.created_at, tiebreak=Message.id)))
        .scalars()
        .all()
    )
    items, cursor = page_of(list(rows), params, cursor_of=lambda m: [m.created_at.isoformat(), str(m.id)])
    return Page(items=[InboxItem.model_validate(m) for m in items], next_cursor=cursor)


@router.get("/v1/me/inbox/unread-count", summary="How many of my messages are unread")
async def unread_count(session: Session, principal: CurrentPrincipal) -> dict[str, int]:
    count = (
        await session.execute(
            select(func.count())
            .select_from(Message)
            .where(Message.recipient_id == me(principal), Message.read_at.is_(None))
        )
    ).scalar_one()
    return {"unread": count}


@router.post(
    "/v1/me/inbox/{message_id}/read", response_model=InboxItem, summary="Mark one of my messages read"
)
async def mark_read(message_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    message = await session.get(Message, message_id)
    if message is None or message.recipient_id != me(
        principal
    ):  # someone else's message does not exist for you
        raise MessageNotFound(f"message {message_id} not found")
    message.read_at = message.read_at or utcnow()
    return message


@router.post(
    "/v1/me/inbox/{message_id}/acknowledge",
    response_model=InboxItem,
    summary="I have seen it: stops a critical message's fallback chain (push → SMS → voice)",
)
async def acknowledge(message_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None or message.recipient_id != me(principal):
        raise MessageNotFound(f"message {message_id} not found")
    return await delivery.acknowledge(session, message)


# ---------------------------------------------------------------- provider callbacks


class BadSignature(DomainError):
    status = 401
    code = "invalid-webhook-signature"
    title = Text("回调签名无效", "Invalid webhook signature")


class UnknownProvider(NotFound):
    code = "unknown-provider"
    title = Text("未知的服务商", "Unknown provider")


class UnknownMessageRef(NotFound):
    code = "unknown-message"
    title = Text("回调所指的消息不存在", "The callback names no message we sent")


@router.post(
    "/v1/providers/{provider}/callbacks",
    summary="A provider reports delivered / failed / bounced; "
    "signed per Standard Webhooks with the provider's secret",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["reference", "status"],
                        "properties": {
                            "reference": {"type": "string"},
                            "status": {"enum": ["delivered", "failed", "bounced"]},
                            "detail": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def provider_callback(provider: str, request: Request, session: Session) -> dict:
    configs = [p for c in ("sms", "push", "voice") for p in await providers.providers_for(session, c)]
    config = next((p for p in configs if p.name == provider), None)
    if config is None:
        raise UnknownProvider(f"no provider named {provider}")
    body = await request.body()
    try:
        payload = Webhook(config.secret.get_secret_value()).verify(body, dict(request.headers))
    except (WebhookVerificationError, ValueError) as exc:
        raise BadSignature(str(exc) or "signature does not match") from exc
    try:
        callback = CallbackBody.model_validate(payload)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from exc
    try:
        found = await sending.provider_callback(
            session,
            provider=provider,
            reference=callback.reference,
            status=callback.status,
            detail=callback.detail,
        )
    except sending.UnknownMessage as exc:
        raise UnknownMessageRef(f"no delivery with reference {exc}") from exc
    return {"delivery_id": str(found.id), "state": found.state}


# ---------------------------------------------------------------- delivery log


@router.get(
    "/v1/messages/{message_id}/deliveries",
    response_model=list[DeliveryRead],
    summary="Every channel's delivery of one message (its recipient, or a manager)",
)
async def message_deliveries(message_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    message = await session.get(Message, message_id)
    if message is None:
        raise MessageNotFound(f"message {message_id} not found")
    manager_here = principal.has(Role.manager, Role.admin) and (
        message.estate_id is None or principal.can_see_estate(message.estate_id)
    )
    if str(message.recipient_id) != principal.sub and not manager_here:
        raise MessageNotFound(f"message {message_id} not found")
    rows = await session.execute(
        select(Delivery).where(Delivery.message_id == message_id).order_by(Delivery.channel)
    )
    return rows.scalars().all()


@router.get(
    "/v1/recipients/{recipient_id}/deliveries",
    response_model=Page[DeliveryRead],
    summary="Everything sent to one person, newest first",
)
async def recipient_deliveries(
    recipient_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(MANAGERS),
    state: str | None = None,
    params: PageParams = Depends(page_params),
):
    recipient = await session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"recipient {recipient_id} not found")
    principal.require_estate(recipient.estate_id)
    stmt = select(Delivery).where(Delivery.recipient_id == recipient_id)
    if state:
        stmt = stmt.where(Delivery.state == state)
    rows = (
        (await session.execute(paginate(stmt, params, key=Delivery.created_at, tiebreak=Delivery.id)))
        .scalars()
        .all()
    )
    items, cursor = page_of(list(rows), params, cursor_of=lambda d: [d.created_at.isoformat(), str(d.id)])
    return Page(items=[DeliveryRead.model_validate(d) for d in items], next_cursor=cursor)


# ---------------------------------------------------------------- templates


def sample_context(event_type: str) -> dict:
    """Placeholder values for a preview or a check: every payload field with a plausible value."""
    context: dict = {
        "estate": {"name": "阳明山庄", "timezone": "Asia/Shanghai"},
        "recipient": {"name": "王建国", "language": "zh-CN"},
        "title_zh": "停水通知",
        "body_zh": "明日 9:00-12:00 停水",
        "title_en": "Water off",
        "body_en": "Water is off tomorrow 9:00-12:00",
    }
    spec = next((s for s in CATALOG if s.type == event_type), None)
    if spec is not None:
        for name, field in spec.model.model_fields.items():
            text = str(field.annotation)
            context[name] = (
                "2026-12-01T09:00:00+08:00"
                if "date" in text
                else 1
                if "int" in text
                else "complaint"
                if name == "kind"
                else "first_response"
                if name == "milestone"
                else "supervisor"
                if name == "to"
                else f"<{name}>"
            )
    return context


@router.get(
    "/v1/templates", response_model=list[TemplateRead], summary="Templates in force: defaults and overrides"
)
async def list_templates(
    session: Session, principal: Principal = Depends(MANAGERS), event_type: str | None = None
):
    saved = {
        (t.event_type, t.channel, t.language): t for t in (await session.execute(select(Template))).scalars()
    }
    out = []
    for key, (subject, body) in sorted(default_templates().items()):
        if event_type and key[0] != event_type:
            continue
        row = saved.get(key)
        out.append(
            TemplateRead(
                event_type=key[0],
                channel=key[1],
                language=key[2],
                subject=row.subject if row else subject,
                body=row.body if row else body,
                source="estate" if row else "default",
            )
        )
    return out


@router.put(
    "/v1/templates", response_model=TemplateRead, summary="Change a template (checked by rendering it)"
)
async def put_template(data: TemplateWrite, session: Session, principal: Principal = Depends(MANAGERS)):
    if (data.event_type, data.channel, data.language) not in default_templates():
        raise TemplateBroken(f"no message is sent for {data.event_type} on {data.channel}")
    context = sample_context(data.event_type)
    render(data.subject or "", context)
    render(data.body, context)
    CONFIG.forget(lambda k: k[0] == "template")
    stmt = pg_insert(Template).values(id=uuid7(), updated_by=principal.sub, **data.model_dump())
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_template_event_type_channel_language",
            set_={
                "subject": data.subject,
                "body": data.body,
                "updated_by": principal.sub,
                "updated_at": utcnow(),
            },
        )
    )
    return TemplateRead(**data.model_dump(), source="estate")


@router.post(
    "/v1/templates/preview", response_model=PreviewResponse, summary="Render a template with sample values"
)
async def preview(data: PreviewRequest, session: Session, principal: Principal = Depends(MANAGERS)):
    if data.body is None:
        try:
            subject, body = await delivery.template_for(session, data.event_type, data.channel, data.language)
        except LookupError as exc:
            raise TemplateBroken(str(exc)) from exc
    else:
        subject, body = data.subject, data.body
    context = {**sample_context(data.event_type), **(data.context or {})}
    return PreviewResponse(subject=render(subject, context) if subject else None, body=render(body, context))


# ---------------------------------------------------------------- notices and preferences


@router.post(
    "/v1/estates/{estate_id}/notices",
    status_code=201,
    response_model=NoticeResult,
    summary="Tell residents (by unit) or staff (by role) something, in both languages; critical ones "
    "pass quiet hours and opt-outs",
)
async def send_notice(
    estate_id: uuid.UUID, data: NoticeCreate, session: Session, principal: Principal = Depends(SENDERS)
):
    principal.require_estate(estate_id)
    units = list(data.unit_ids)
    if data.building_ids:
        units += await recipients_service.units_in_scope(
            session, estate_id, building_ids=data.building_ids, floors=data.floors
        )
    ids = await recipients_service.ids_for(
        session,
        estate_id,
        recipient_ids=data.recipient_ids,
        unit_ids=units,
        staff_roles=data.staff_roles,
        all_residents=data.all_residents,
    )
    notice_id = uuid7()
    context = data.model_dump(include={"title_zh", "body_zh", "title_en", "body_en"})
    sent = await broadcast(
        session,
        source_event_id=notice_id,
        event_type="notify.notice",
        estate_id=estate_id,
        recipient_ids=ids,
        category=data.category,
        critical=data.critical,
        context=context,
    )
    return NoticeResult(notice_id=notice_id, recipients=sent)


@router.get("/v1/recipients/{recipient_id}/preferences", response_model=list[PreferenceWrite])
async def get_preferences(recipient_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    await _self_or_manager(session, recipient_id, principal)
    rows = await session.execute(select(Preference).where(Preference.recipient_id == recipient_id))
    return [
        PreferenceWrite(category=p.category, channel=p.channel, enabled=p.enabled) for p in rows.scalars()
    ]


@router.put(
    "/v1/recipients/{recipient_id}/preferences",
    response_model=list[PreferenceWrite],
    summary="Opt in or out of a category (or * for all) on a channel",
)
async def put_preference(
    recipient_id: uuid.UUID, data: PreferenceWrite, session: Session, principal: CurrentPrincipal
):
    await _self_or_manager(session, recipient_id, principal)
    delivery.forget_preferences(recipient_id)
    stmt = pg_insert(Preference).values(recipient_id=recipient_id, **data.model_dump())
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["recipient_id", "category", "channel"], set_={"enabled": data.enabled}
        )
    )
    return await get_preferences(recipient_id, session, principal)


async def _self_or_manager(session, recipient_id: uuid.UUID, principal: Principal) -> None:
    recipient = await session.get(Recipient, recipient_id)
    if recipient is None:
        raise NotFound(f"recipient {recipient_id} not found")
    if principal.sub != str(recipient_id):
        if not principal.has(Role.manager, Role.admin):
            raise Forbidden(Text("只能修改本人的通知设置", "You can only change your own preferences"))
        principal.require_estate(recipient.estate_id)


@router.post(
    "/v1/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    summary="Send events to another system, signed per Standard Webhooks (the secret is shown once)",
)
async def create_webhook(
    data: WebhookCreate, session: Session, principal: Principal = Depends(require_roles(Role.admin))
):
    sub = WebhookSubscription(
        url=data.url,
        event_types=data.event_types,
        estate_id=data.estate_id,
        secret=webhooks.new_secret(),
        active=True,
        created_by=principal.sub,
    )
    session.add(sub)
    await session.flush()
    CONFIG.discard(("webhooks",))
    return WebhookCreated(**WebhookRead.model_validate(sub).model_dump(), secret=sub.secret)


@router.get("/v1/webhooks", response_model=list[WebhookRead])
async def list_webhooks(session: Session, principal: Principal = Depends(require_roles(Role.admin))):
    return (
        (await session.execute(select(WebhookSubscription).order_by(WebhookSubscription.created_at)))
        .scalars()
        .all()
    )


@router.delete("/v1/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(
    webhook_id: uuid.UUID, session: Session, principal: Principal = Depends(require_roles(Role.admin))
):
    sub = await session.get(WebhookSubscription, webhook_id)
    if sub is None:
        raise NotFound(f"webhook {webhook_id} not found")
    sub.active = False
    CONFIG.discard(("webhooks",))


@router.get(
    "/v1/providers", response_model=list[ProviderRead], summary="Providers managed here (secrets hidden)"
)
async def list_providers(session: Session, principal: Principal = Depends(MANAGERS)):
    return (
        (await session.execute(select(Provider).order_by(Provider.channel, Provider.priority)))
        .scalars()
        .all()
    )


@router.put(
    "/v1/providers/{name}",
    response_model=ProviderRead,
    summary="Add or change an SMS / push / voice provider; tried by priority before those in settings",
)
async def put_provider(
    name: str, data: ProviderWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,63}", name):
        raise InvalidInput(Text("服务商名称无效", "Invalid provider name (a-z, 0-9, _ and -)"))
    provider = await session.get(Provider, name)
    if provider is None:
        if data.secret is None:
            raise InvalidInput(Text("新服务商需要签名密钥", "A new provider needs a secret"))
        provider = Provider(name=name, secret=data.secret.get_secret_value(), updated_by=principal.sub)
        session.add(provider)
    elif data.secret is not None:
        provider.secret = data.secret.get_secret_value()
    provider.channel, provider.url, provider.priority, provider.active = (
        data.channel,
        data.url,
        data.priority,
        data.active,
    )
    provider.updated_by = principal.sub
    await session.flush()
    return provider


def routers() -> list[APIRouter]:
    return [router]
