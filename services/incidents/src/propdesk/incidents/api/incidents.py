from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from propdesk.common.auth import Principal
from propdesk.common.pagination import Page, PageParams, page_params
from propdesk.common.web import Session, idempotent
from propdesk.incidents.api.deps import COMMAND, STAFF
from propdesk.incidents.schemas import (
    IncidentAction,
    IncidentRead,
    NoteCreate,
    PartyCall,
    PartyRead,
    StepAction,
    TriggerCreate,
)
from propdesk.incidents.service import incidents, triggering

router = APIRouter(tags=["incidents"])


def actor(principal: Principal) -> str:
    return principal.name or principal.sub


@router.post(
    "/v1/estates/{estate_id}/incidents",
    status_code=201,
    response_model=IncidentRead,
    summary="Trigger a playbook (or a drill). A report of an incident already active (same playbook, same "
    "building) is linked to it instead: 200 with linked=true",
)
async def trigger(
    request: Request,
    estate_id: uuid.UUID,
    data: TriggerCreate,
    session: Session,
    principal: Principal = Depends(COMMAND),
):
    principal.require_estate(estate_id)

    async def create():
        i, linked = await triggering.trigger(
            session,
            estate_id,
            data.playbook,
            description=data.description,
            building_id=data.building_id,
            place_id=data.place_id,
            unit_id=data.unit_id,
            floors=data.floors,
            location=data.location,
            drill=data.drill,
            source="api",
            actor=actor(principal),
        )
        return await incidents.read(session, i, linked=linked), 200 if linked else 201

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/incidents", response_model=Page[IncidentRead], summary="Incidents, newest first"
)
async def list_incidents(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(STAFF),
    active: bool | None = None,
    drill: bool | None = None,
    playbook: str | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    items, cursor = await incidents.listing(
        session, estate_id, active=active, drill=drill, playbook=playbook, params=params
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/v1/incidents/{incident_id}",
    response_model=IncidentRead,
    summary="An incident: steps against deadlines, parties, timeline",
)
async def get_incident(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    return await incidents.read(session, await incidents.get(session, incident_id, principal))


@router.post(
    "/v1/incidents/{incident_id}/actions",
    response_model=IncidentRead,
    summary="acknowledge, stabilise, resolve, close, cancel (duty officers and managers); 409 when the state does not allow it",
)
async def act(
    incident_id: uuid.UUID, data: IncidentAction, session: Session, principal: Principal = Depends(COMMAND)
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    acted = await incidents.act(session, i, data.action, actor=actor(principal), note=data.note)
    return await incidents.read(session, acted)


@router.post(
    "/v1/incidents/{incident_id}/steps/{step}",
    response_model=IncidentRead,
    summary="acknowledge (stops its escalation), complete (once its dependencies are done) or skip (with a note) a step",
)
async def step_action(
    incident_id: uuid.UUID,
    step: str,
    data: StepAction,
    session: Session,
    principal: Principal = Depends(STAFF),
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    row = await incidents.step_of(session, i, step)
    await incidents.step_action(session, i, row, data.action, actor=actor(principal), note=data.note)
    return await incidents.read(session, i)


@router.post(
    "/v1/incidents/{incident_id}/parties",
    status_code=201,
    response_model=PartyRead,
    summary="An outside party was called (119, 110, 120, the elevator contractor, the utility), with its promised arrival",
)
async def call_party(
    incident_id: uuid.UUID, data: PartyCall, session: Session, principal: Principal = Depends(STAFF)
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    return PartyRead.model_validate(
        await incidents.call_party(
            session,
            i,
            kind=data.kind,
            name=data.name,
            phone=data.phone,
            promised_at=data.promised_at,
            actor=actor(principal),
        )
    )


@router.post(
    "/v1/incidents/{incident_id}/parties/{party_id}/arrived",
    response_model=PartyRead,
    summary="The party arrived",
)
async def party_arrived(
    incident_id: uuid.UUID, party_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    party = await incidents.party_of(session, i, party_id)
    return PartyRead.model_validate(await incidents.party_arrived(session, i, party, actor=actor(principal)))


@router.post(
    "/v1/incidents/{incident_id}/notes", response_model=IncidentRead, summary="A note on the timeline"
)
async def note(
    incident_id: uuid.UUID, data: NoteCreate, session: Session, principal: Principal = Depends(STAFF)
):
    i = await incidents.get(session, incident_id, principal, lock=True)
    return await incidents.read(
        session, await incidents.note(session, i, actor=actor(principal), text_=data.note)
    )
