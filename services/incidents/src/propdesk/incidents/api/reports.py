"""Incident reports (Markdown, PDF), the post-incident review, drills, and the alarm panel's signed webhook."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response

from propdesk.common import signatures
from propdesk.common.auth import Principal
from propdesk.common.db import settings_of
from propdesk.common.web import SIGNED, Session
from propdesk.incidents.api.deps import COMMAND, STAFF
from propdesk.incidents.api.incidents import IncidentRead, actor
from propdesk.incidents.schemas import AlarmEvent, ReviewCreate
from propdesk.incidents.service import incidents, reports

router = APIRouter(tags=["reports, drills, alarms"])


@router.get(
    "/v1/incidents/{incident_id}/report.md",
    response_class=Response,
    summary="The incident report (紧急事件报告书) as Markdown",
    responses={200: {"content": {"text/markdown": {}}}},
)
async def report_md(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    i = await incidents.get(session, incident_id, principal)
    return Response(await reports.markdown(session, i), media_type="text/markdown; charset=utf-8")


@router.get(
    "/v1/incidents/{incident_id}/report.pdf",
    response_class=Response,
    summary="The incident report as PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def report_pdf(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    i = await incidents.get(session, incident_id, principal)
    body = reports.pdf(await reports.markdown(session, i))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{i.reference}.pdf"'},
    )


@router.put(
    "/v1/incidents/{incident_id}/review",
    response_model=IncidentRead,
    summary="The post-incident review and its follow-up tasks",
)
async def review(
    incident_id: uuid.UUID, data: ReviewCreate, session: Session, principal: Principal = Depends(COMMAND)
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    await reports.review(
        session,
        i,
        summary=data.summary,
        causes=data.causes,
        follow_ups=[f.model_dump(mode="json") for f in data.follow_ups],
        actor=actor(principal),
    )
    return await incidents.read(session, i)


@router.get(
    "/v1/estates/{estate_id}/drills",
    summary="Drills per playbook: the last one and whether a year has passed without one (residential buildings "
    "drill at least once a year)",
)
async def drills(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)) -> list[dict]:
    principal.require_estate(estate_id)
    return await reports.drills(session, estate_id)


@router.post(
    "/v1/webhooks/alarm-panel/{estate_id}",
    response_model=IncidentRead,
    openapi_extra=SIGNED,
    summary="A fire alarm panel reports an alarm, signed per Standard Webhooks (its estate inside the signed body "
    "must be the one in the URL): the fire playbook starts, or the report joins the active fire incident. A copy "
    "of a message gets the first one's answer",
)
async def alarm(estate_id: uuid.UUID, request: Request, data: AlarmEvent, session: Session):
    message_id, body = await signatures.verify(
        request, settings_of(session).alarm_webhook_secret.get_secret_value()
    )
    answer, _ = await signatures.once(
        session,
        sender=f"alarm-panel:{data.panel}",
        message_id=message_id,
        route=f"alarm:{estate_id}",
        body=body,
        run=lambda: reports.alarm(session, estate_id, data),
    )
    return answer
