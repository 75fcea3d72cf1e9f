from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.web import Session
from propdesk.notify import service
from propdesk.notify.schemas import QuietHoursRead

router = APIRouter(prefix="/v1/estates", tags=["estates"])


@router.get(
    "/{estate_id}/quiet-hours",
    response_model=list[QuietHoursRead],
    summary="Quiet hours that hold back non-urgent messages until morning, estate time.",
)
async def list_quiet_hourss(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(require_roles(Role.manager, Role.receptionist)),
):
    principal.require_estate(estate_id)
    return await service.list_defaults(session, estate_id)


def routers() -> list[APIRouter]:
    return [router]
