"""The in-app inbox (everyone sees only their own messages) and the delivery log of a message or a person."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal, Role
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, page_of, paginate
from propdesk.common.timeutil import utcnow
from propdesk.notify.errors import MessageNotFound, NotARecipient, RecipientNotFound
from propdesk.notify.models import Delivery, Message, Recipient
from propdesk.notify.service import chain


def me(principal: Principal) -> uuid.UUID:
    """The caller as a recipient (a registry id)."""
    if principal.subject_id is None:
        raise NotARecipient("this token's subject is not a registry id")
    return principal.subject_id


async def messages(
    session: AsyncSession, principal: Principal, *, unread: bool | None, params: PageParams
) -> tuple[list[Message], str | None]:
    stmt = select(Message).where(Message.recipient_id == me(principal))
    if unread is not None:
        stmt = stmt.where(Message.read_at.is_(None) if unread else Message.read_at.is_not(None))
    rows = (
        (await session.execute(paginate(stmt, params, key=Message.created_at, tiebreak=Message.id)))
        .scalars()
        .all()
    )
    return page_of(list(rows), params, cursor_of=lambda m: [m.created_at.isoformat(), str(m.id)])


async def unread_count(session: AsyncSession, principal: Principal) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(Message)
            .where(Message.recipient_id == me(principal), Message.read_at.is_(None))
        )
    ).scalar_one()


async def _mine(session: AsyncSession, principal: Principal, message_id: uuid.UUID, *, lock: bool) -> Message:
    message = await session.get(Message, message_id, with_for_update=lock)
    if message is None or message.recipient_id != me(principal):  # someone else's does not exist for you
        raise MessageNotFound(f"message {message_id} not found")
    return message


async def mark_read(session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> Message:
    message = await _mine(session, principal, message_id, lock=False)
    message.read_at = message.read_at or utcnow()
    return message


async def acknowledge(session: AsyncSession, principal: Principal, message_id: uuid.UUID) -> Message:
    return await chain.acknowledge(session, await _mine(session, principal, message_id, lock=True))


async def deliveries_of_message(
    session: AsyncSession, principal: Principal, message_id: uuid.UUID
) -> list[Delivery]:
    """Every channel's delivery of one message: for its recipient, or a manager of its estate."""
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
    return list(rows.scalars())


async def deliveries_of_person(
    session: AsyncSession,
    principal: Principal,
    recipient_id: uuid.UUID,
    *,
    state: str | None,
    params: PageParams,
) -> tuple[list[Delivery], str | None]:
    recipient = await session.get(Recipient, recipient_id)
    if recipient is None:
        raise RecipientNotFound(f"recipient {recipient_id} not found")
    principal.require_estate(recipient.estate_id)
    stmt = select(Delivery).where(Delivery.recipient_id == recipient_id)
    if state:
        stmt = stmt.where(Delivery.state == state)
    rows = (
        (await session.execute(paginate(stmt, params, key=Delivery.created_at, tiebreak=Delivery.id)))
        .scalars()
        .all()
    )
    return page_of(list(rows), params, cursor_of=lambda d: [d.created_at.isoformat(), str(d.id)])


async def require_self_or_manager(
    session: AsyncSession, principal: Principal, recipient_id: uuid.UUID
) -> None:
    """A person changes their own preferences; a manager or admin of their estate may too."""
    recipient = await session.get(Recipient, recipient_id)
    if recipient is None:
        raise RecipientNotFound(f"recipient {recipient_id} not found")
    if principal.sub != str(recipient_id):
        if not principal.has(Role.manager, Role.admin):
            raise Forbidden(Text("只能修改本人的通知设置", "You can only change your own preferences"))
        principal.require_estate(recipient.estate_id)
