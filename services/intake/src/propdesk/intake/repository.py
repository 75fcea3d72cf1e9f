from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.auth import Principal, estate_filter
from propdesk.common.pagination import PageParams, paginate
from propdesk.intake.errors import WrongEstate
from propdesk.intake.models import Estate, EstateProvisioning


class EstateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, estate_id: uuid.UUID) -> Estate | None:
        return await self.session.get(Estate, estate_id)

    async def by_code(self, code: str) -> Estate | None:
        return (await self.session.execute(select(Estate).where(Estate.code == code))).scalar_one_or_none()

    async def add(self, estate: Estate) -> Estate:
        self.session.add(estate)
        await self.session.flush()
        await self.session.refresh(estate, ["provisioning", "created_at"])
        return estate

    async def list_visible(self, principal: Principal, params: PageParams) -> list[Estate]:
        stmt = select(Estate).where(estate_filter(principal, Estate.id))
        stmt = paginate(stmt, params, key=Estate.created_at, tiebreak=Estate.id)
        return list((await self.session.execute(stmt)).scalars().all())

    async def mark_provisioned(self, estate_id: uuid.UUID, service: str) -> bool:
        result = await self.session.execute(
            pg_insert(EstateProvisioning)
            .values(estate_id=estate_id, service=service)
            .on_conflict_do_nothing()
            .returning(EstateProvisioning.service)
        )
        return result.first() is not None

    async def provisioned_services(self, estate_id: uuid.UUID) -> set[str]:
        rows = await self.session.execute(
            select(EstateProvisioning.service).where(EstateProvisioning.estate_id == estate_id)
        )
        return set(rows.scalars().all())


async def require_of_estate(
    session: AsyncSession, model, record_id: uuid.UUID | None, estate_id: uuid.UUID, what: str
):
    """The record a request names, which must be one of the estate's (422 wrong-estate otherwise, unknown ones
    included: another estate's record and one that does not exist look the same to the caller)."""
    if record_id is None:
        return None
    record = await session.get(model, record_id)
    if record is None or record.estate_id != estate_id:
        raise WrongEstate(f"{what} {record_id} is not one of this estate's")
    return record
