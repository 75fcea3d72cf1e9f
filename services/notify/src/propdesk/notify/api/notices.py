"""Notices to residents or staff, in both languages."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.notify.api.deps import SENDERS
from propdesk.notify.schemas import NoticeCreate, NoticeResult
from propdesk.notify.service import notices

router = APIRouter(tags=["notify"])


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
    notice_id, sent = await notices.send(
        session,
        estate_id,
        texts=data.model_dump(include=set(notices.TEXTS)),
        category=data.category,
        critical=data.critical,
        recipient_ids=data.recipient_ids,
        unit_ids=data.unit_ids,
        building_ids=data.building_ids,
        floors=data.floors,
        staff_roles=data.staff_roles,
        all_residents=data.all_residents,
    )
    return NoticeResult(notice_id=notice_id, recipients=sent)
