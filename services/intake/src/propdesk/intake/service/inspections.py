"""Renovation inspections: scheduled during the works, recorded with their findings; each violation found is
recorded and served a notice. The renovation as the API shows it, with its inspections and timeline."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal
from propdesk.common.errors import IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow
from propdesk.intake.errors import InspectionNotFound, WrongEstate
from propdesk.intake.models import Renovation, RenovationInspection, Staff
from propdesk.intake.schemas import (
    ActivityRead,
    InspectionRead,
    InspectionRecord,
    InspectionSchedule,
    RenovationRead,
)
from propdesk.intake.service import activity, violations
from propdesk.intake.service.activity import actor_of, log
from propdesk.intake.service.renovations import WORKS, _illegal


async def schedule_inspection(
    session: AsyncSession, r: Renovation, data: InspectionSchedule, *, principal: Principal
) -> RenovationInspection:
    if r.state not in WORKS:
        raise _illegal(r, "inspected")
    if data.inspector_id is not None:
        staff = await session.get(Staff, data.inspector_id)
        if staff is None or staff.estate_id != r.estate_id:
            raise WrongEstate("the inspector works at another estate")
    inspection = RenovationInspection(
        renovation_id=r.id,
        kind="routine",
        scheduled_for=data.scheduled_for,
        inspector_id=data.inspector_id,
        state="scheduled",
        photos=[],
        violation_ids=[],
    )
    session.add(inspection)
    await session.flush()
    log(
        session,
        "renovation",
        r.id,
        "inspection_scheduled",
        actor_of(principal),
        None,
        at=data.scheduled_for.isoformat(),
    )
    return inspection


async def record_inspection(
    session: AsyncSession,
    r: Renovation,
    inspection: RenovationInspection,
    data: InspectionRecord,
    *,
    principal: Principal,
) -> RenovationInspection:
    if inspection.state != "scheduled":
        raise IllegalTransition(
            Text("该次巡查已记录", "This inspection was already recorded"),
            state=inspection.state,
            action="record",
        )
    if r.state not in WORKS:
        raise _illegal(r, "inspected")
    actor = actor_of(principal)
    found = [
        await violations.record(
            session, r.estate_id, v, unit_id=r.unit_id, renovation_id=r.id, principal=principal
        )
        for v in data.violations
    ]
    inspection.state, inspection.result, inspection.findings = "done", data.result, data.findings
    inspection.photos, inspection.done_at, inspection.done_by = list(data.photos), utcnow(), actor
    inspection.violation_ids = [v.id for v in found]
    log(
        session,
        "renovation",
        r.id,
        "inspected",
        actor,
        data.findings,
        result=data.result,
        violations=[v.reference for v in found],
    )
    await session.flush()
    return inspection


async def inspections(session: AsyncSession, renovation_id: uuid.UUID) -> list[RenovationInspection]:
    rows = await session.execute(
        select(RenovationInspection)
        .where(RenovationInspection.renovation_id == renovation_id)
        .order_by(RenovationInspection.scheduled_for, RenovationInspection.id)
    )
    return list(rows.scalars().all())


async def of_renovation(
    session: AsyncSession, r: Renovation, inspection_id: uuid.UUID
) -> RenovationInspection:
    inspection = await session.get(RenovationInspection, inspection_id, with_for_update=True)
    if inspection is None or inspection.renovation_id != r.id:
        raise InspectionNotFound(f"inspection {inspection_id} not found for this renovation")
    return inspection


async def read(session: AsyncSession, r: Renovation, *, full: bool = True) -> RenovationRead:
    view = RenovationRead.model_validate(r)
    if full:
        view.inspections = [InspectionRead.model_validate(i) for i in await inspections(session, r.id)]
        view.timeline = [ActivityRead.model_validate(a) for a in await activity.timeline(session, r.id)]
    return view
