from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from propdesk.common.auth import Principal
from propdesk.common.errors import NotFound
from propdesk.common.i18n import Text
from propdesk.common.pagination import Page, PageParams, page_of, page_params, paginate
from propdesk.common.timeutil import utcnow
from propdesk.common.web import Session, idempotent
from propdesk.incidents.api.deps import COMMAND, STAFF
from propdesk.incidents.models import Incident, IncidentEntry, IncidentParty, IncidentStep
from propdesk.incidents.schemas import (
    EntryRead,
    IncidentAction,
    IncidentRead,
    NoteCreate,
    PartyCall,
    PartyRead,
    StepAction,
    StepRead,
    TriggerCreate,
)
from propdesk.incidents.service import incidents

router = APIRouter(tags=["incidents"])
EXTRA = ("linked", "steps", "parties", "timeline")


class IncidentNotFound(NotFound):
    code = "incident-not-found"
    title = Text("事件不存在", "Incident not found")


def actor(principal: Principal) -> str:
    return principal.name or principal.sub


async def _read(session, i: Incident, *, full: bool = True, linked: bool = False) -> IncidentRead:
    fields = {f: getattr(i, f) for f in IncidentRead.model_fields if f not in EXTRA}
    read = IncidentRead.model_validate({**fields, "linked": linked})
    if not full:
        return read
    book, now = incidents.snapshot(i), utcnow()
    steps = (
        await session.execute(
            select(IncidentStep).where(IncidentStep.incident_id == i.id).order_by(IncidentStep.position)
        )
    ).scalars()
    read.steps = []
    for s in steps:
        title = book.step(s.key).title
        done = s.acknowledged_at or s.done_at
        late = (done or now) > s.due_at if s.state != "skipped" else False
        read.steps.append(
            StepRead.model_validate(s).model_copy(
                update={"title_zh": title.zh, "title_en": title.en, "late": late}
            )
        )
    read.parties = [
        PartyRead.model_validate(p)
        for p in (
            await session.execute(
                select(IncidentParty)
                .where(IncidentParty.incident_id == i.id)
                .order_by(IncidentParty.called_at)
            )
        ).scalars()
    ]
    read.timeline = [
        EntryRead.model_validate(e)
        for e in (
            await session.execute(
                select(IncidentEntry).where(IncidentEntry.incident_id == i.id).order_by(IncidentEntry.id)
            )
        ).scalars()
    ]
    return read


async def _get(session, incident_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> Incident:
    i = await session.get(Incident, incident_id, with_for_update=lock)
    if i is None:
        raise IncidentNotFound(f"incident {incident_id} not found")
    principal.require_estate(i.estate_id)
    return i


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
        i, linked = await incidents.trigger(
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
        return await _read(session, i, linked=linked), 200 if linked else 201

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
    stmt = select(Incident).where(Incident.estate_id == estate_id)
    for column, value in (
        (Incident.active, active),
        (Incident.drill, drill),
        (Incident.playbook_key, playbook),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    rows = (
        await session.execute(paginate(stmt, params, key=Incident.created_at, tiebreak=Incident.id))
    ).scalars()
    items, cursor = page_of(list(rows), params, cursor_of=lambda i: [i.created_at.isoformat(), str(i.id)])
    return Page(items=[await _read(session, i, full=False) for i in items], next_cursor=cursor)


@router.get(
    "/v1/incidents/{incident_id}",
    response_model=IncidentRead,
    summary="An incident: steps against deadlines, parties, timeline",
)
async def get_incident(incident_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    return await _read(session, await _get(session, incident_id, principal))


@router.post(
    "/v1/incidents/{incident_id}/actions",
    response_model=IncidentRead,
    summary="acknowledge, stabilise, resolve, close, cancel (duty officers and managers); 409 when the state does not allow it",
)
async def act(
    incident_id: uuid.UUID, data: IncidentAction, session: Session, principal: Principal = Depends(COMMAND)
):
    i = await _get(session, incident_id, principal, lock=True)
    return await _read(
        session, await incidents.act(session, i, data.action, actor=actor(principal), note=data.note)
    )


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
    i = await _get(session, incident_id, principal, lock=True)
    row = (
        await session.execute(
            select(IncidentStep)
            .where(IncidentStep.incident_id == i.id, IncidentStep.key == step)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise IncidentNotFound(f"incident {incident_id} has no step {step!r}")
    await incidents.step_action(session, i, row, data.action, actor=actor(principal), note=data.note)
    return await _read(session, i)


@router.post(
    "/v1/incidents/{incident_id}/parties",
    status_code=201,
    response_model=PartyRead,
    summary="An outside party was called (119, 110, 120, the elevator contractor, the utility), with its promised arrival",
)
async def call_party(
    incident_id: uuid.UUID, data: PartyCall, session: Session, principal: Principal = Depends(STAFF)
):
    i = await _get(session, incident_id, principal, lock=True)
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
    i = await _get(session, incident_id, principal, lock=True)
    party = await session.get(IncidentParty, party_id, with_for_update=True)
    if party is None or party.incident_id != i.id:
        raise IncidentNotFound(f"party {party_id} not found for this incident")
    return PartyRead.model_validate(await incidents.party_arrived(session, i, party, actor=actor(principal)))


@router.post(
    "/v1/incidents/{incident_id}/notes", response_model=IncidentRead, summary="A note on the timeline"
)
async def note(
    incident_id: uuid.UUID, data: NoteCreate, session: Session, principal: Principal = Depends(STAFF)
):
    i = await _get(session, incident_id, principal, lock=True)
    incidents.entry(session, i, "note", actor(principal), data.note)
    await session.flush()
    return await _read(session, i)
