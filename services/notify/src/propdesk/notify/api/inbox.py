"""The inbox (everyone sees only their own messages), the delivery log, preferences."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import CurrentPrincipal, Session
from propdesk.notify.api.deps import MANAGERS
from propdesk.notify.schemas import DeliveryRead, InboxItem, PreferenceWrite
from propdesk.notify.service import inbox as service
from propdesk.notify.service import preferences

router = APIRouter(tags=["notify"])


@router.get("/v1/me/inbox", response_model=Page[InboxItem], summary="My in-app messages, newest first")
async def inbox(
    session: Session,
    principal: CurrentPrincipal,
    unread: bool | None = None,
    params: PageParams = Depends(page_params),
):
    items, cursor = await service.messages(session, principal, unread=unread, params=params)
    return Page(items=[InboxItem.model_validate(m) for m in items], next_cursor=cursor)


@router.get("/v1/me/inbox/unread-count", summary="How many of my messages are unread")
async def unread_count(session: Session, principal: CurrentPrincipal) -> dict[str, int]:
    return {"unread": await service.unread_count(session, principal)}


@router.post(
    "/v1/me/inbox/{message_id}/read", response_model=InboxItem, summary="Mark one of my messages read"
)
async def mark_read(message_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    return await service.mark_read(session, principal, message_id)


@router.post(
    "/v1/me/inbox/{message_id}/acknowledge",
    response_model=InboxItem,
    summary="I have seen it: stops a critical message's fallback chain (push → SMS → voice)",
)
async def acknowledge(message_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    return await service.acknowledge(session, principal, message_id)


@router.get(
    "/v1/messages/{message_id}/deliveries",
    response_model=list[DeliveryRead],
    summary="Every channel's delivery of one message (its recipient, or a manager)",
)
async def message_deliveries(message_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    return await service.deliveries_of_message(session, principal, message_id)


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
    items, cursor = await service.deliveries_of_person(
        session, principal, recipient_id, state=state, params=params
    )
    return Page(items=[DeliveryRead.model_validate(d) for d in items], next_cursor=cursor)


@router.get("/v1/recipients/{recipient_id}/preferences", response_model=list[PreferenceWrite])
async def get_preferences(recipient_id: uuid.UUID, session: Session, principal: CurrentPrincipal):
    await service.require_self_or_manager(session, principal, recipient_id)
    return [_pref(p) for p in await preferences.of(session, recipient_id)]


@router.put(
    "/v1/recipients/{recipient_id}/preferences",
    response_model=list[PreferenceWrite],
    summary="Opt in or out of a category (or * for all) on a channel",
)
async def put_preference(
    recipient_id: uuid.UUID, data: PreferenceWrite, session: Session, principal: CurrentPrincipal
):
    await service.require_self_or_manager(session, principal, recipient_id)
    return [_pref(p) for p in await preferences.choose(session, recipient_id, **data.model_dump())]


def _pref(p) -> PreferenceWrite:
    return PreferenceWrite(category=p.category, channel=p.channel, enabled=p.enabled)
