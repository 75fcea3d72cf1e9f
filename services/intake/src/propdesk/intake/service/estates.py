"""Estate registration and onboarding. Operations flush and record events; the unit of work commits."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import EstateOnboardingCompleted, EstateRegistered
from propdesk.common.events import SERVICES
from propdesk.common.logging import get_logger
from propdesk.intake.errors import EstateCodeTaken, EstateNotFound
from propdesk.intake.models import Estate
from propdesk.intake.repository import EstateRepository
from propdesk.intake.schemas import EstateCreate, EstateRead
from propdesk.intake.service.staff import seed_departments

log = get_logger("propdesk.intake")

DOWNSTREAM = tuple(s for s in SERVICES if s != "intake")


def to_read(estate: Estate) -> EstateRead:
    services = sorted(p.service for p in estate.provisioning)
    return EstateRead(
        id=estate.id,
        code=estate.code,
        name=estate.name,
        name_en=estate.name_en,
        timezone=estate.timezone,
        address=estate.address,
        created_at=estate.created_at,
        provisioned_by=services,
        onboarding_complete=set(DOWNSTREAM) <= set(services),
    )


async def register_estate(session: AsyncSession, data: EstateCreate) -> Estate:
    repo = EstateRepository(session)
    if await repo.by_code(data.code) is not None:
        raise EstateCodeTaken(f"estate code {data.code} is already in use")
    estate = await repo.add(Estate(**data.model_dump()))
    await seed_departments(session, estate.id)
    outbox.record(
        session,
        EstateRegistered(
            estate_id=estate.id,
            code=estate.code,
            name=estate.name,
            name_en=estate.name_en,
            timezone=estate.timezone,
            address=estate.address,
        ),
        aggregate_id=estate.id,
        estate_id=estate.id,
    )
    log.info("estate.registered", estate_id=str(estate.id), code=estate.code)
    return estate


async def get_estate(session: AsyncSession, estate_id: uuid.UUID) -> Estate:
    estate = await EstateRepository(session).get(estate_id)
    if estate is None:
        raise EstateNotFound(f"estate {estate_id} not found")
    return estate


async def record_provisioned(session: AsyncSession, *, estate_id: uuid.UUID, service: str) -> None:
    """A downstream service reported the estate provisioned; when all have, onboarding is complete."""
    repo = EstateRepository(session)
    if await repo.get(estate_id) is None:
        raise EstateNotFound(f"estate {estate_id} not found")
    if not await repo.mark_provisioned(estate_id, service):
        return
    services = await repo.provisioned_services(estate_id)
    if services >= set(DOWNSTREAM):
        outbox.record(
            session,
            EstateOnboardingCompleted(estate_id=estate_id, services=sorted(services)),
            aggregate_id=estate_id,
            estate_id=estate_id,
        )
        log.info("estate.onboarding_completed", estate_id=str(estate_id))
