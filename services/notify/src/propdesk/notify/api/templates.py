"""Templates: the defaults, the platform's versions and each estate's own, checked by rendering them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.notify.api.deps import MANAGERS, may_configure
from propdesk.notify.schemas import PreviewRequest, PreviewResponse, TemplateRead, TemplateWrite
from propdesk.notify.service import templates as service

router = APIRouter(tags=["notify"])


@router.get(
    "/v1/templates",
    response_model=list[TemplateRead],
    summary="Templates in force for an estate (its own, else the platform's, else the default); without an "
    "estate, the platform's (its admins only)",
)
async def list_templates(
    session: Session,
    principal: Principal = Depends(MANAGERS),
    event_type: str | None = None,
    estate_id: uuid.UUID | None = None,
):
    may_configure(principal, estate_id)
    return await service.in_force(session, estate_id, event_type)


@router.put(
    "/v1/templates",
    response_model=TemplateRead,
    summary="Change an estate's template (its managers), or the platform's (its admins); checked by rendering it",
)
async def put_template(data: TemplateWrite, session: Session, principal: Principal = Depends(MANAGERS)):
    may_configure(principal, data.estate_id)
    return await service.save(session, **data.model_dump(), actor=principal.sub)


@router.post(
    "/v1/templates/preview", response_model=PreviewResponse, summary="Render a template with sample values"
)
async def preview(data: PreviewRequest, session: Session, principal: Principal = Depends(MANAGERS)):
    may_configure(principal, data.estate_id)
    subject, body = await service.preview(session, **data.model_dump())
    return PreviewResponse(subject=subject, body=body)
