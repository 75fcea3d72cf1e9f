from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from propdesk.common.auth import Principal, unit_filter
from propdesk.common.pagination import Page, PageParams, page_of, page_params, paginate
from propdesk.common.web import Session, idempotent
from propdesk.intake.api.deps import ANYONE, MANAGERS, STAFF
from propdesk.intake.errors import CaseNotFound
from propdesk.intake.models import Case, CaseSlaTarget
from propdesk.intake.schemas_cases import (
    CaseAction,
    CaseCreate,
    CaseEntryRead,
    CaseRead,
    CaseSlaTargetRead,
    CaseSlaTargetWrite,
)
from propdesk.intake.service import cases

router = APIRouter(tags=["cases"])


async def _read(session, case: Case, *, with_timeline: bool = True) -> CaseRead:
    fields = {f: getattr(case, f) for f in CaseRead.model_fields if f not in ("clocks", "timeline")}
    read = CaseRead.model_validate({**fields, "clocks": cases.clock_view(case)})
    if with_timeline:
        read.timeline = [CaseEntryRead.model_validate(e) for e in await cases.timeline(session, case.id)]
    return read


async def _get(session, case_id: uuid.UUID, principal: Principal, *, lock: bool = False) -> Case:
    case = await session.get(Case, case_id, with_for_update=lock)
    if case is None:
        raise CaseNotFound(f"case {case_id} not found")
    cases.require_visible(principal, case)
    return case


@router.post(
    "/v1/estates/{estate_id}/cases",
    status_code=201,
    response_model=CaseRead,
    summary="Open a case: inquiry, complaint, praise or suggestion (a resident: for their own unit)",
)
async def open_case(
    request: Request,
    estate_id: uuid.UUID,
    data: CaseCreate,
    session: Session,
    principal: Principal = Depends(ANYONE),
):
    principal.require_estate(estate_id)

    async def create():
        return await _read(session, await cases.open_case(session, estate_id, data, principal=principal))

    return await idempotent(request, session, principal, create)


@router.get(
    "/v1/estates/{estate_id}/cases",
    response_model=Page[CaseRead],
    summary="Cases, newest first; a resident sees only their own units' cases",
)
async def list_cases(
    estate_id: uuid.UUID,
    session: Session,
    principal: Principal = Depends(ANYONE),
    state: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    unit_id: uuid.UUID | None = None,
    escalated: bool | None = None,
    params: PageParams = Depends(page_params),
):
    principal.require_estate(estate_id)
    stmt = select(Case).where(Case.estate_id == estate_id, unit_filter(principal, Case.unit_id))
    for column, value in (
        (Case.state, state),
        (Case.kind, kind),
        (Case.category, category),
        (Case.unit_id, unit_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if escalated is not None:
        stmt = stmt.where((Case.escalation_level > 0) if escalated else (Case.escalation_level == 0))
    rows = (
        (await session.execute(paginate(stmt, params, key=Case.created_at, tiebreak=Case.id))).scalars().all()
    )
    items, cursor = page_of(list(rows), params, cursor_of=lambda c: [c.created_at.isoformat(), str(c.id)])
    return Page(items=[await _read(session, c, with_timeline=False) for c in items], next_cursor=cursor)


@router.get("/v1/cases/{case_id}", response_model=CaseRead, summary="A case with its clocks and timeline")
async def get_case(case_id: uuid.UUID, session: Session, principal: Principal = Depends(ANYONE)):
    return await _read(session, await _get(session, case_id, principal))


@router.post(
    "/v1/cases/{case_id}/actions",
    response_model=CaseRead,
    summary="acknowledge, respond, assign, update, wait (for the resident), resume, resolve, "
    "confirm or reject (the resident), cancel; an action the state does not allow is 409",
)
async def case_action(
    case_id: uuid.UUID, action: CaseAction, session: Session, principal: Principal = Depends(ANYONE)
):
    case = await _get(session, case_id, principal, lock=True)
    return await _read(session, await cases.act(session, case, action, principal=principal))


@router.get(
    "/v1/estates/{estate_id}/case-sla-targets",
    response_model=list[CaseSlaTargetRead],
    summary="Case SLA targets in force: the defaults and this estate's overrides",
)
async def sla_targets(estate_id: uuid.UUID, session: Session, principal: Principal = Depends(STAFF)):
    principal.require_estate(estate_id)
    out = [
        CaseSlaTargetRead(
            kind=k, category=None, severity=s, milestone=m, minutes=mins, calendar=cal, source="default"
        )
        for k, s, m, mins, cal in cases.DEFAULT_TARGETS
    ]
    rows = (
        (await session.execute(select(CaseSlaTarget).where(CaseSlaTarget.estate_id == estate_id)))
        .scalars()
        .all()
    )
    return out + [CaseSlaTargetRead.model_validate(r) for r in rows]


@router.put(
    "/v1/estates/{estate_id}/case-sla-targets",
    response_model=CaseSlaTargetRead,
    summary="Set one target for this estate (kind × category × severity × milestone)",
)
async def set_sla_target(
    estate_id: uuid.UUID, data: CaseSlaTargetWrite, session: Session, principal: Principal = Depends(MANAGERS)
):
    principal.require_estate(estate_id)
    stmt = pg_insert(CaseSlaTarget).values(id=uuid.uuid4(), estate_id=estate_id, **data.model_dump())
    stmt = stmt.on_conflict_do_update(
        constraint="uq_case_sla_target_estate_id_kind_category_severity_milestone",
        set_={"minutes": data.minutes, "calendar": data.calendar},
    )
    await session.execute(stmt)
    return CaseSlaTargetRead(**data.model_dump(), source="estate")
