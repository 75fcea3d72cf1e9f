"""The phone desk (电话接听与转接): calls resolved to residents and units, transfers, messages taken for
staff (留言) tracked until acknowledged, callback tasks on durable timers; a missed call asks for one."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal, Role
from propdesk.common.contracts.intake import CallbackOverdue, MessageAcknowledged, MessageTaken
from propdesk.common.errors import Forbidden, IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.pagination import PageParams, fetch_page
from propdesk.common.timeutil import utcnow
from propdesk.intake.errors import CallbackNotFound, CallNotFound, MessageNotFound, WrongEstate
from propdesk.intake.models import Call, Callback, Message, Occupancy, Resident, Staff
from propdesk.intake.repository import require_of_estate
from propdesk.intake.schemas import CallbackCreate, CallCreate, CallTransfer, MessageCreate
from propdesk.intake.validation import phone_for_search


def actor(principal: Principal) -> str:
    return principal.name or principal.sub


async def resolve_caller(
    session: AsyncSession, estate_id: uuid.UUID, phone: str
) -> tuple[Resident | None, list]:
    """The resident with this number in the estate and the units they currently occupy."""
    number = phone_for_search(phone)
    resident = (
        await session.execute(
            select(Resident)
            .where(Resident.estate_id == estate_id, Resident.phone == number)
            .order_by(Resident.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if resident is None:
        return None, []
    units = (
        await session.execute(
            select(Occupancy.unit_id)
            .where(Occupancy.resident_id == resident.id, Occupancy.ended_on.is_(None))
            .order_by(Occupancy.started_on)
        )
    ).scalars()
    return resident, list(dict.fromkeys(units))


async def _staff_of(session: AsyncSession, estate_id: uuid.UUID, staff_id: uuid.UUID | None) -> Staff | None:
    if staff_id is None:
        return None
    staff = await session.get(Staff, staff_id)
    if staff is None or staff.estate_id != estate_id:
        raise WrongEstate("the staff member works at another estate")
    return staff


async def log_call(
    session: AsyncSession,
    estate_id: uuid.UUID,
    data: CallCreate,
    *,
    principal: Principal,
    missed_callback_after: dt.timedelta,
) -> tuple[Call, Callback | None]:
    await _staff_of(session, estate_id, data.transfer_to_staff_id)
    resident, units = await resolve_caller(session, estate_id, data.phone)
    call = Call(
        estate_id=estate_id,
        direction=data.direction,
        phone=phone_for_search(data.phone),
        resident_id=resident.id if resident else None,
        unit_ids=units,
        topic=data.topic,
        started_at=data.started_at or utcnow(),
        duration_seconds=data.duration_seconds,
        outcome=data.outcome,
        transferred_to_staff_id=data.transfer_to_staff_id,
        transferred_to_department=data.transfer_to_department,
        handled_by=actor(principal),
        notes=data.notes,
    )
    session.add(call)
    await session.flush()
    callback = None
    if data.outcome == "missed" and data.direction == "inbound":
        callback = await schedule_callback(
            session,
            estate_id,
            CallbackCreate.model_construct(
                phone=call.phone,
                reason="未接来电回拨 / missed call",
                due_at=call.started_at + missed_callback_after,
                assignee_id=None,
                resident_id=call.resident_id,
            ),
            call_id=call.id,
        )
    return call, callback


async def get_call(session: AsyncSession, call_id: uuid.UUID, principal: Principal) -> Call:
    call = await session.get(Call, call_id)
    if call is None:
        raise CallNotFound(f"call {call_id} not found")
    principal.require_estate(call.estate_id)
    return call


async def transfer(session: AsyncSession, call: Call, data: CallTransfer) -> Call:
    await _staff_of(session, call.estate_id, data.staff_id)
    call.outcome = "transferred"
    call.transferred_to_staff_id, call.transferred_to_department = data.staff_id, data.department
    if data.note:
        call.notes = f"{call.notes}\n{data.note}" if call.notes else data.note
    await session.flush()
    return call


async def take_message(
    session: AsyncSession, estate_id: uuid.UUID, data: MessageCreate, *, principal: Principal
) -> Message:
    await _staff_of(session, estate_id, data.for_staff_id)
    if data.call_id is not None:
        call = await session.get(Call, data.call_id)
        if call is None or call.estate_id != estate_id:
            raise WrongEstate("the call belongs to another estate")
    message = Message(estate_id=estate_id, state="pending", taken_by=actor(principal), **data.model_dump())
    session.add(message)
    await session.flush()
    outbox.record(
        session,
        MessageTaken(
            message_id=message.id,
            estate_id=estate_id,
            for_staff_id=message.for_staff_id,
            for_department=message.for_department,
            from_name=message.from_name,
            from_phone=message.from_phone,
            text=message.text,
        ),
        aggregate_id=message.id,
        estate_id=estate_id,
    )
    return message


async def acknowledge_message(
    session: AsyncSession, message_id: uuid.UUID, *, principal: Principal
) -> Message:
    message = await session.get(Message, message_id, with_for_update=True)
    if message is None:
        raise MessageNotFound(f"message {message_id} not found")
    principal.require_estate(message.estate_id)
    addressed = message.for_staff_id is not None and principal.sub == str(message.for_staff_id)
    if not addressed and not principal.has(Role.manager, Role.admin) and message.for_staff_id is not None:
        raise Forbidden(Text("只有留言对象可以确认", "Only the person the message is for can acknowledge it"))
    if message.state == "acknowledged":
        raise IllegalTransition(Text("留言已确认", "The message was already acknowledged"))
    message.state, message.acknowledged_by, message.acknowledged_at = (
        "acknowledged",
        actor(principal),
        utcnow(),
    )
    await session.flush()
    outbox.record(
        session,
        MessageAcknowledged(
            message_id=message.id, estate_id=message.estate_id, acknowledged_by=message.acknowledged_by
        ),
        aggregate_id=message.id,
        estate_id=message.estate_id,
    )
    return message


async def schedule_callback(
    session: AsyncSession, estate_id: uuid.UUID, data: CallbackCreate, *, call_id: uuid.UUID | None = None
) -> Callback:
    await _staff_of(session, estate_id, data.assignee_id)
    await require_of_estate(session, Resident, data.resident_id, estate_id, "resident")
    callback = Callback(
        estate_id=estate_id,
        call_id=call_id,
        phone=data.phone,
        resident_id=data.resident_id,
        reason=data.reason,
        due_at=data.due_at,
        assignee_id=data.assignee_id,
        state="open",
        overdue=False,
    )
    session.add(callback)
    await session.flush()
    timers.schedule(
        session,
        kind="callback.due",
        key=f"callback:{callback.id}",
        due_at=callback.due_at,
        payload={"callback_id": str(callback.id)},
    )
    return callback


async def complete_callback(
    session: AsyncSession, callback_id: uuid.UUID, outcome: str, *, principal: Principal
) -> Callback:
    callback = await session.get(Callback, callback_id, with_for_update=True)
    if callback is None:
        raise CallbackNotFound(f"callback {callback_id} not found")
    principal.require_estate(callback.estate_id)
    if callback.state != "open":
        raise IllegalTransition(Text("回电任务已完成", "The callback is already done"))
    callback.state, callback.outcome, callback.done_at = "done", outcome, utcnow()
    timers.cancel(session, f"callback:{callback.id}")
    await session.flush()
    return callback


async def callback_due(session: AsyncSession, callback_id: uuid.UUID) -> None:
    callback = await session.get(Callback, callback_id, with_for_update=True)
    if callback is None or callback.state != "open" or callback.overdue:
        return
    callback.overdue = True
    await session.flush()
    outbox.record(
        session,
        CallbackOverdue(
            callback_id=callback.id,
            estate_id=callback.estate_id,
            phone=callback.phone,
            reason=callback.reason,
            due_at=callback.due_at,
            assignee_id=callback.assignee_id,
        ),
        aggregate_id=callback.id,
        estate_id=callback.estate_id,
    )


async def calls(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    phone: str | None,
    outcome: str | None,
    on: dt.date | None,
    params: PageParams,
) -> tuple[list[Call], str | None]:
    """The call log, newest first."""
    stmt = select(Call).where(Call.estate_id == estate_id)
    if phone:
        stmt = stmt.where(Call.phone == phone_for_search(phone))
    if outcome:
        stmt = stmt.where(Call.outcome == outcome)
    if on:
        start = dt.datetime.combine(on, dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
        stmt = stmt.where(Call.started_at >= start, Call.started_at < start + dt.timedelta(days=1))
    return await fetch_page(session, stmt, params, key=Call.started_at, tiebreak=Call.id)


async def messages(
    session: AsyncSession,
    estate_id: uuid.UUID,
    *,
    state: str | None,
    for_staff_id: uuid.UUID | None,
    params: PageParams,
) -> tuple[list[Message], str | None]:
    stmt = select(Message).where(Message.estate_id == estate_id)
    if state:
        stmt = stmt.where(Message.state == state)
    if for_staff_id:
        stmt = stmt.where(Message.for_staff_id == for_staff_id)
    return await fetch_page(session, stmt, params, key=Message.created_at, tiebreak=Message.id)


async def callbacks(
    session: AsyncSession, estate_id: uuid.UUID, *, state: str, overdue: bool | None, params: PageParams
) -> tuple[list[Callback], str | None]:
    """Most urgent first."""
    stmt = select(Callback).where(Callback.estate_id == estate_id, Callback.state == state)
    if overdue is not None:
        stmt = stmt.where(Callback.overdue.is_(overdue))
    return await fetch_page(
        session, stmt, params, key=Callback.due_at, tiebreak=Callback.id, descending=False
    )
