"""Broadcasts and the residents' two-way replies, the tally, help tasks; planned outages."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal, Role, require_roles
from propdesk.common.web import Session, idempotent
from propdesk.incidents.api.deps import COMMAND, STAFF
from propdesk.incidents.api.incidents import actor
from propdesk.incidents.schemas import (
    BroadcastCreate,
    BroadcastRead,
    HelpTaskRead,
    NoteCreate,
    OutageCreate,
    OutageRead,
    ReplyCreate,
    ReplyRead,
)
from propdesk.incidents.service import broadcasts, incidents, outages

router = APIRouter(tags=["broadcasts and replies"])
RESIDENT = require_roles(Role.resident)


@router.get(
    "/v1/me/incidents",
    summary="A resident's active incidents: those whose broadcast reached one of their units (to find the one a "
    "message is about and answer safe / need help)",
)
async def my_incidents(session: Session, principal: Principal = Depends(RESIDENT)) -> list[dict]:
    return await broadcasts.concerning(session, principal)


@router.post(
    "/v1/incidents/{incident_id}/broadcasts",
    status_code=201,
    response_model=BroadcastRead,
    summary="Tell everyone in scope (the playbook's rule: estate, building, floors, units) as a critical message "
    "through notify; a drill tells staff only. With ask_reply, residents answer safe / need help",
)
async def broadcast(
    incident_id: uuid.UUID, data: BroadcastCreate, session: Session, principal: Principal = Depends(COMMAND)
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    scope = None
    if data.building_ids is not None:
        scope = {"building_ids": [str(b) for b in data.building_ids], "floors": data.floors}
    return BroadcastRead.model_validate(
        await broadcasts.send(
            session,
            i,
            key=data.key,
            title_zh=data.title_zh,
            body_zh=data.body_zh,
            title_en=data.title_en,
            body_en=data.body_en,
            ask_reply=data.ask_reply,
            scope=scope,
            actor=actor(principal),
        )
    )


@router.get(
    "/v1/incidents/{incident_id}/broadcasts",
    response_model=list[BroadcastRead],
    summary="The incident's broadcasts",
)
async def list_broadcasts(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    i = await incidents.get(session, incident_id, principal)
    return [BroadcastRead.model_validate(b) for b in await broadcasts.of_incident(session, i)]


@router.post(
    "/v1/incidents/{incident_id}/replies",
    response_model=ReplyRead,
    summary="A resident answers for their own unit: safe, or need help (which becomes a task for the commander); "
    "answering again replaces the answer",
)
async def reply(
    incident_id: uuid.UUID, data: ReplyCreate, session: Session, principal: Principal = Depends(RESIDENT)
):
    i = await broadcasts.for_resident(session, incident_id, principal)
    return ReplyRead.model_validate(
        await broadcasts.reply(
            session, i, unit_id=data.unit_id, status=data.status, note=data.note, principal=principal
        )
    )


@router.get(
    "/v1/incidents/{incident_id}/tally",
    summary="Live tally per building and floor: safe, need help, no answer",
)
async def tally(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)) -> dict:
    return await broadcasts.tally(session, await incidents.get(session, incident_id, principal))


@router.get(
    "/v1/incidents/{incident_id}/help-tasks",
    response_model=list[HelpTaskRead],
    summary="Residents who asked for help",
)
async def help_tasks(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    i = await incidents.get(session, incident_id, principal)
    return [HelpTaskRead.model_validate(t) for t in await broadcasts.help_tasks(session, i)]


@router.post(
    "/v1/incidents/{incident_id}/help-tasks/{task_id}/done",
    response_model=HelpTaskRead,
    summary="Help was given",
)
async def help_done(
    incident_id: uuid.UUID,
    task_id: uuid.UUID,
    data: NoteCreate,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    task = await broadcasts.task_of(session, i, task_id)
    return HelpTaskRead.model_validate(
        await broadcasts.finish_task(session, i, task, actor=actor(principal), note=data.note)
    )


@router.get(
    "/v1/me/incidents/{incident_id}/reply",
    response_model=list[ReplyRead],
    summary="My answers to an incident",
)
async def my_replies(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(RESIDENT)):
    return [
        ReplyRead.model_validate(r) for r in await broadcasts.replies_of(session, incident_id, principal.sub)
    ]


# ---------------------------------------------------------------- planned outages


@router.post(
    "/v1/estates/{estate_id}/planned-outages",
    status_code=201,
    response_model=OutageRead,
    summary="Schedule a planned water or power cut: the notice (water ≥ 24 h ahead), a reminder 2 h before, an "
    "all-clear at the end, each sent at its time to the buildings affected",
)
async def plan_outage(
    request: Request,
    estate_id: uuid.UUID,
    data: OutageCreate,
    session: Session,
    principal: Principal = Depends(COMMAND),
):
    principal.require_estate(estate_id)

    async def create():
        return OutageRead.model_validate(
            await outages.schedule(
                session,
                estate_id,
                kind=data.kind,
                building_ids=data.building_ids,
                floors=data.floors,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                reason=data.reason,
                notice_at=data.notice_at,
                actor=actor(principal),
            )
        )

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/planned-outages",
    response_model=list[OutageRead],
    summary="Planned outages, soonest first",
)
async def list_outages(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    return [OutageRead.model_validate(o) for o in await outages.of_estate(session, estate_id)]


@router.post(
    "/v1/planned-outages/{outage_id}/cancel",
    response_model=OutageRead,
    summary="Call it off (residents already told are told)",
)
async def cancel_outage(outage_id: uuid.UUID, session: Session, principal: Principal = Depends(COMMAND)):
    o = await outages.get(session, outage_id, principal)
    return OutageRead.model_validate(await outages.cancel(session, o, actor=actor(principal)))
