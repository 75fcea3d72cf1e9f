from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.errors import Forbidden
from propdesk.common.i18n import Text
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, DESK, MANAGERS, STAFF
from propdesk.intake.schemas import (
    FollowUpAnswer,
    FollowUpAssign,
    FollowUpAttempt,
    FollowUpCancel,
    FollowUpCreate,
    FollowUpRead,
)
from propdesk.intake.service import followups, satisfaction
from propdesk.intake.service.activity import actor_of

router = APIRouter(tags=["follow-ups"])


@router.post(
    "/v1/estates/{estate_id}/follow-ups",
    status_code=201,
    response_model=FollowUpRead,
    summary="Schedule a follow-up by hand (回访), for a unit or a resident",
)
async def create_follow_up(
    request: Request,
    estate_id: uuid.UUID,
    data: FollowUpCreate,
    session: Session,
    principal: Principal = Depends(DESK),
):
    principal.require_estate(estate_id)

    async def create():
        f = await followups.create(
            session,
            estate_id=estate_id,
            source_kind="manual",
            source_id=None,
            source_reference=None,
            category=None,
            unit_id=data.unit_id,
            resident_id=data.resident_id,
            base_time=dt.datetime.now(dt.UTC),
            due_at=data.due_at,
            assignee_id=None,
            actor=actor_of(principal),
            note=data.note,
        )
        if data.assignee_id is not None:
            await followups.assign(
                session, f, staff_id=data.assignee_id, scheduled_at=None, principal=principal
            )
        return await followups.read(session, f)

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/follow-ups",
    response_model=Page[FollowUpRead],
    summary="Follow-ups by due time; a resident sees only their own units'",
)
async def list_follow_ups(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    state: str | None = None,
    source_kind: str | None = None,
    assignee_id: uuid.UUID | None = None,
    overdue: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    filters = {"state": state, "source_kind": source_kind, "assignee_id": assignee_id, "overdue": overdue}
    items, cursor = await followups.listing(session, estate_id, principal, filters=filters, params=params)
    return Page(
        items=[await followups.read(session, f, with_timeline=False) for f in items], next_cursor=cursor
    )


@router.get(
    "/v1/follow-ups/{follow_up_id}", response_model=FollowUpRead, summary="A follow-up and its timeline"
)
async def get_follow_up(follow_up_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await followups.read(session, await followups.get(session, follow_up_id, principal, lock=False))


@router.post(
    "/v1/follow-ups/{follow_up_id}/assign",
    response_model=FollowUpRead,
    summary="Assign a follow-up to a staff member, optionally for a scheduled time",
)
async def assign(
    follow_up_id: uuid.UUID, data: FollowUpAssign, session: Session, principal: Principal = Depends(DESK)
):
    f = await followups.get(session, follow_up_id, principal)
    return await followups.read(
        session,
        await followups.assign(
            session, f, staff_id=data.staff_id, scheduled_at=data.scheduled_at, principal=principal
        ),
    )


@router.post(
    "/v1/follow-ups/{follow_up_id}/attempts",
    response_model=FollowUpRead,
    summary="Record a call: reached (with the score 1-5) or unreachable; the last allowed try gives up",
)
async def attempt(
    follow_up_id: uuid.UUID, data: FollowUpAttempt, session: Session, principal: Principal = Depends(STAFF)
):
    f = await followups.get(session, follow_up_id, principal)
    return await followups.read(
        session,
        await satisfaction.attempt(
            session,
            f,
            outcome=data.outcome,
            score=data.score,
            comment=data.comment,
            note=data.note,
            principal=principal,
        ),
    )


@router.post(
    "/v1/follow-ups/{follow_up_id}/answer",
    response_model=FollowUpRead,
    summary="The resident answers their own follow-up with a score (1-5) and a comment",
)
async def answer(
    follow_up_id: uuid.UUID, data: FollowUpAnswer, session: Session, principal: Principal = Depends(ANYONE)
):
    f = await followups.get(session, follow_up_id, principal)
    if not principal.is_resident_only:
        raise Forbidden(
            Text("由住户本人作答；工作人员请记录回访电话", "Residents answer; staff record an attempt")
        )
    return await followups.read(
        session,
        await satisfaction.answer(session, f, score=data.score, comment=data.comment, principal=principal),
    )


@router.post(
    "/v1/follow-ups/{follow_up_id}/cancel", response_model=FollowUpRead, summary="Cancel a follow-up"
)
async def cancel(
    follow_up_id: uuid.UUID, data: FollowUpCancel, session: Session, principal: Principal = Depends(MANAGERS)
):
    f = await followups.get(session, follow_up_id, principal)
    return await followups.read(
        session, await followups.cancel(session, f, note=data.note, principal=principal)
    )
