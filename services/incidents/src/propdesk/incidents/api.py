from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.web import Session
from propdesk.incidents import service
from propdesk.incidents.schemas import ResponseTargetRead

router = APIRouter(prefix="/v1/estates", tags=["estates"])


@router.get(
    "/{estate_id}/response-targets",
    response_model=list[ResponseTargetRead],
    summary="Legal and practical time limits the playbooks are held to (DOMAIN.md), per estate.",
)
async def list_response_targets(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(require_roles(Role.duty_officer, Role.manager)),
):
    principal.require_estate(estate_id)
    return await service.list_defaults(session, estate_id)


def routers() -> list[APIRouter]:
    return [router]
