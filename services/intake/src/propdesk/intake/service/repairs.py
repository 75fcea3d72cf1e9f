"""Repair needs taken at the desk: recorded, sent to repairs as `intake.repair.requested`, and linked to
the work order when repairs reports it created."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.auth import Principal
from propdesk.common.contracts.intake import RepairRequested, Reporter
from propdesk.common.contracts.repairs import WorkOrderCreated
from propdesk.intake.errors import CaseNotFound, RepairRequestNotFound, WrongEstate
from propdesk.intake.models import Case, CaseEntry, Place, RepairRequest, Resident, Unit
from propdesk.intake.schemas import RepairRequestCreate


async def request_repair(
    session: AsyncSession,
    estate_id: uuid.UUID,
    data: RepairRequestCreate,
    *,
    source: str,
    source_id: uuid.UUID | None,
) -> RepairRequest:
    building_id = None
    if data.unit_id is not None:
        unit = await session.get(Unit, data.unit_id)
        if unit is None or unit.estate_id != estate_id:
            raise WrongEstate(f"unit {data.unit_id} is not a unit of this estate")
        building_id = unit.building_id
    if data.place_id is not None:
        place = await session.get(Place, data.place_id)
        if place is None or place.estate_id != estate_id:
            raise WrongEstate(f"place {data.place_id} is not a place of this estate")
        building_id = place.building_id
    reporter = Reporter(name=data.reporter_name or "", phone=data.reporter_phone)
    if data.resident_id is not None:
        resident = await session.get(Resident, data.resident_id)
        if resident is None or resident.estate_id != estate_id:
            raise WrongEstate(f"resident {data.resident_id} is not a resident of this estate")
        reporter = Reporter(
            resident_id=resident.id, name=resident.name, phone=resident.phone, language=resident.language
        )
    request = RepairRequest(
        estate_id=estate_id,
        unit_id=data.unit_id,
        place_id=data.place_id,
        category=data.category,
        problem=data.problem,
        urgency=data.urgency,
        description=data.description,
        source=source,
        source_id=source_id,
    )
    session.add(request)
    await session.flush()
    outbox.record(
        session,
        RepairRequested(
            request_id=request.id,
            estate_id=estate_id,
            unit_id=data.unit_id,
            place_id=data.place_id,
            building_id=building_id,
            category=data.category,
            problem=data.problem,
            urgency=data.urgency,
            description=data.description,
            reporter=reporter,
            preferred_from=data.preferred_from,
            preferred_to=data.preferred_to,
            photos=data.photos,
            source=source,
            source_id=source_id,
        ),
        aggregate_id=request.id,
        estate_id=estate_id,
    )
    return request


async def link_work_order(session: AsyncSession, event: WorkOrderCreated) -> None:
    if event.request_id is None:
        return
    request = (
        await session.execute(
            select(RepairRequest).where(RepairRequest.id == event.request_id).with_for_update()
        )
    ).scalar_one_or_none()
    if request is None:
        return  # a work order from another source; nothing of ours to link
    request.work_order_id, request.work_order_reference = event.work_order_id, event.reference
    if request.source == "case" and request.source_id is not None:
        case = await session.get(Case, request.source_id)
        if case is not None:
            case.work_order_id = event.work_order_id
            session.add(
                CaseEntry(
                    case_id=case.id,
                    kind="work_order_linked",
                    actor="repairs",
                    note=event.reference,
                    data={"work_order_id": str(event.work_order_id)},
                )
            )
    await session.flush()


async def for_case(session: AsyncSession, case_id: uuid.UUID, principal: Principal):
    """The case whose repair need the desk turns into a request."""
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(f"case {case_id} not found")
    principal.require_estate(case.estate_id)
    return case


async def get(session: AsyncSession, request_id: uuid.UUID, principal: Principal) -> RepairRequest:
    found = await session.get(RepairRequest, request_id)
    if found is None:
        raise RepairRequestNotFound(f"repair request {request_id} not found")
    principal.require_estate(found.estate_id)
    return found
