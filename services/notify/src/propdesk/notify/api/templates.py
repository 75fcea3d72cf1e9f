"""Templates: the defaults and the overrides managers save, checked by rendering them."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from propdesk.common.auth import Principal
from propdesk.common.web import Session
from propdesk.notify.api.deps import MANAGERS
from propdesk.notify.schemas import PreviewRequest, PreviewResponse, TemplateRead, TemplateWrite
from propdesk.notify.service import templates as service

router = APIRouter(tags=["notify"])


@router.get(
    "/v1/templates", response_model=list[TemplateRead], summary="Templates in force: defaults and overrides"
)
async def list_templates(
    session: Session, principal: Principal = Depends(MANAGERS), event_type: str | None = None
):
    return await service.in_force(session, event_type)


@router.put(
    "/v1/templates", response_model=TemplateRead, summary="Change a template (checked by rendering it)"
)
async def put_template(data: TemplateWrite, session: Session, principal: Principal = Depends(MANAGERS)):
    return await service.save(session, **data.model_dump(), actor=principal.sub)


@router.post(
    "/v1/templates/preview", response_model=PreviewResponse, summary="Render a template with sample values"
)
async def preview(data: PreviewRequest, session: Session, principal: Principal = Depends(MANAGERS)):
    subject, body = await service.preview(session, **data.model_dump())
    return PreviewResponse(subject=subject, body=body)
