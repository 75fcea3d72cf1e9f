from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.web import Session
from propdesk.repairs import service
from propdesk.repairs.schemas import SlaTargetRead

router = APIRouter(prefix="/v1/estates", tags=["estates"])


@router.get(
    "/{estate_id}/sla-targets",
    response_model=list[SlaTargetRead],
    summary="Default SLA targets per urgency and milestone (DOMAIN.md); configurable per estate.",
)
async def list_sla_targets(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(require_roles(Role.dispatcher, Role.manager, Role.technician)),
):
    principal.require_estate(estate_id)
    return await service.list_defaults(session, estate_id)


def routers() -> list[APIRouter]:
    return [router]
