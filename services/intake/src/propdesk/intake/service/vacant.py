"""Vacant units (空置房): a periodic inspection (every 30 days by default) with findings; a failed finding
can become a repair request to repairs. Each recorded inspection arms a durable timer for the next one,
which tells the desk (`intake.vacant_unit.inspection_due`) when it is due."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox, timers
from propdesk.common.auth import Principal
from propdesk.common.contracts import intake as ev
from propdesk.common.errors import IllegalTransition
from propdesk.common.i18n import Text
from propdesk.common.timeutil import to_local, utcnow
from propdesk.intake.models import Unit, VacantInspection
from propdesk.intake.schemas import RepairRequestCreate, VacantInspectionCreate, VacantUnitRead
from propdesk.intake.service import policy, repairs
from propdesk.intake.service.activity import actor_of, log


async def vacant_units(
    session: AsyncSession, estate_id: uuid.UUID, *, overdue_only: bool = False
) -> list[VacantUnitRead]:
    interval = dt.timedelta(days=(await policy.load(session, estate_id)).vacant_inspection_days)
    last = (
        select(VacantInspection.unit_id, func.max(VacantInspection.inspected_at).label("last"))
        .where(VacantInspection.estate_id == estate_id)
        .group_by(VacantInspection.unit_id)
        .subquery()
    )
    rows = await session.execute(
        select(Unit, last.c.last)
        .outerjoin(last, last.c.unit_id == Unit.id)
        .where(Unit.estate_id == estate_id, Unit.state == "vacant", Unit.kind != "parking")
        .order_by(last.c.last.nulls_first(), Unit.number)
    )
    today, out = to_local(utcnow()).date(), []
    for unit, last_at in rows.all():
        since = last_at or unit.updated_at or unit.created_at
        next_due = to_local(since + interval).date()
        item = VacantUnitRead(
            unit_id=unit.id,
            number=unit.number,
            building_id=unit.building_id,
            floor=unit.floor,
            last_inspected_at=last_at,
            next_due_on=next_due,
            overdue=next_due < today,
        )
        if item.overdue or not overdue_only:
            out.append(item)
    return out


async def inspect(
    session: AsyncSession, unit: Unit, data: VacantInspectionCreate, *, principal: Principal
) -> VacantInspection:
    if unit.state != "vacant":
        raise IllegalTransition(
            Text("只有空置房需要空置巡查", "Only a vacant unit gets a vacant-unit inspection"),
            state=unit.state,
            action="inspect",
        )
    actor, at = actor_of(principal), data.inspected_at or utcnow()
    inspection = VacantInspection(
        estate_id=unit.estate_id,
        unit_id=unit.id,
        inspected_at=at,
        inspector=actor,
        findings=[f.model_dump(mode="json") for f in data.findings],
        repair_request_ids=[],
    )
    session.add(inspection)
    await session.flush()
    requests = []
    for finding in data.findings:
        if finding.repair_category is None:
            continue
        request = await repairs.request_repair(
            session,
            unit.estate_id,
            RepairRequestCreate(
                unit_id=unit.id,
                category=finding.repair_category,
                urgency=finding.repair_urgency,
                description=f"空置房巡查 / vacant-unit inspection: {finding.item}: {finding.note}",
                reporter_name=actor[:100],
                photos=finding.photos,
            ),
            source="vacant_unit",
            source_id=inspection.id,
        )
        requests.append(request.id)
    inspection.repair_request_ids = requests
    failed = [f.item for f in data.findings if not f.ok]
    log(
        session,
        "vacant_unit",
        unit.id,
        "inspected",
        actor,
        None,
        failed=failed,
        repair_requests=len(requests),
    )
    days = (await policy.load(session, unit.estate_id)).vacant_inspection_days
    timers.schedule(
        session,
        kind="vacant.inspection.due",
        key=f"vacant:{unit.id}",
        due_at=at + dt.timedelta(days=days),
        payload={"unit_id": str(unit.id)},
    )
    await session.flush()
    return inspection


async def on_due(session: AsyncSession, unit_id: uuid.UUID) -> None:
    unit = await session.get(Unit, unit_id)
    if unit is None or unit.state != "vacant":
        return
    log(session, "vacant_unit", unit.id, "inspection_due", "system", None)
    outbox.record(
        session,
        ev.VacantInspectionDue(
            unit_id=unit.id,
            estate_id=unit.estate_id,
            unit_number=unit.number,
            due_on=to_local(utcnow()).date(),
        ),
        aggregate_id=unit.id,
        estate_id=unit.estate_id,
    )


async def history(session: AsyncSession, unit_id: uuid.UUID) -> list[VacantInspection]:
    rows = await session.execute(
        select(VacantInspection)
        .where(VacantInspection.unit_id == unit_id)
        .order_by(VacantInspection.inspected_at.desc())
    )
    return list(rows.scalars().all())
