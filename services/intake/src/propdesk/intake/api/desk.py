from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Query, Request

from propdesk.common.auth import Principal
from propdesk.common.inputs import Day
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import DESK, STAFF
from propdesk.intake.schemas import (
    CallbackCreate,
    CallbackDone,
    CallbackRead,
    CallCreate,
    CallRead,
    CallTransfer,
    MessageCreate,
    MessageRead,
    RepairRequestCreate,
    RepairRequestRead,
)
from propdesk.intake.service import desk
from propdesk.intake.service.repairs import request_repair

router = APIRouter(tags=["phone desk"])


@router.post(
    "/v1/estates/{estate_id}/calls",
    status_code=201,
    response_model=CallRead,
    summary="Log a call; the caller's number is resolved to a resident and units; a missed inbound call "
    "gets a callback task",
)
async def log_call(
    request: Request,
    estate_id: uuid.UUID,
    data: CallCreate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    principal.require_estate(estate_id)
    minutes = request.app.state.runtime.settings.missed_call_callback_minutes

    async def create():
        call, callback = await desk.log_call(
            session, estate_id, data, principal=principal, missed_callback_after=dt.timedelta(minutes=minutes)
        )
        return CallRead.model_validate(call).model_copy(
            update={"callback_id": callback.id if callback else None}
        )

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/calls", response_model=Page[CallRead], summary="The call log, newest first"
)
async def list_calls(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    phone: str | None = None,
    outcome: str | None = None,
    on: Day | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await desk.calls(session, estate_id, phone=phone, outcome=outcome, on=on, params=params)
    return Page(items=[CallRead.model_validate(c) for c in items], next_cursor=cursor)


@router.post("/v1/calls/{call_id}/transfer", response_model=CallRead, summary="Record a transfer")
async def transfer(
    call_id: uuid.UUID, data: CallTransfer, session: Session, principal: Principal = Depends(DESK)
):
    return await desk.transfer(session, await desk.get_call(session, call_id, principal), data)


@router.post(
    "/v1/calls/{call_id}/repair-request",
    status_code=201,
    response_model=RepairRequestRead,
    summary="The caller reports a repair need: sent to repairs as a work-order request",
)
async def call_repair_request(
    call_id: uuid.UUID, data: RepairRequestCreate, session: Session, principal: Principal = Depends(DESK)
):
    call = await desk.get_call(session, call_id, principal)
    if data.resident_id is None and call.resident_id is not None:
        data = data.model_copy(update={"resident_id": call.resident_id})
    if data.resident_id is None and data.reporter_phone is None:
        data = data.model_copy(update={"reporter_phone": call.phone})
    return await request_repair(session, call.estate_id, data, source="call", source_id=call.id)


@router.post(
    "/v1/estates/{estate_id}/messages",
    status_code=201,
    response_model=MessageRead,
    summary="Take a message for a staff member or department (留言); notify delivers it",
)
async def take_message(
    request: Request,
    estate_id: uuid.UUID,
    data: MessageCreate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    principal.require_estate(estate_id)

    async def create():
        return MessageRead.model_validate(
            await desk.take_message(session, estate_id, data, principal=principal)
        )

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/messages", response_model=Page[MessageRead], summary="Messages, newest first"
)
async def list_messages(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    state: str | None = Query(None, pattern="^(pending|acknowledged)$"),
    for_staff_id: uuid.UUID | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await desk.messages(
        session, estate_id, state=state, for_staff_id=for_staff_id, params=params
    )
    return Page(items=[MessageRead.model_validate(m) for m in items], next_cursor=cursor)


@router.post(
    "/v1/messages/{message_id}/acknowledge",
    response_model=MessageRead,
    summary="The staff member it is for acknowledges the message",
)
async def acknowledge(message_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    return await desk.acknowledge_message(session, message_id, principal=principal)


@router.post(
    "/v1/estates/{estate_id}/callbacks",
    status_code=201,
    response_model=CallbackRead,
    summary="A callback task with a due time",
)
async def schedule_callback(
    estate_id: uuid.UUID, data: CallbackCreate, session: Session, principal: Principal = Depends(DESK)
):
    principal.require_estate(estate_id)
    return await desk.schedule_callback(session, estate_id, data)


@router.get(
    "/v1/estates/{estate_id}/callbacks",
    response_model=Page[CallbackRead],
    summary="Callback tasks, most urgent first (overdue ones flagged)",
)
async def list_callbacks(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    state: str = Query("open", pattern="^(open|done)$"),
    overdue: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await desk.callbacks(session, estate_id, state=state, overdue=overdue, params=params)
    return Page(items=[CallbackRead.model_validate(c) for c in items], next_cursor=cursor)


@router.post("/v1/callbacks/{callback_id}/done", response_model=CallbackRead, summary="The callback was made")
async def callback_done(
    callback_id: uuid.UUID, data: CallbackDone, session: Session, principal: Principal = Depends(DESK)
):
    return await desk.complete_callback(session, callback_id, data.outcome, principal=principal)
