"""Look-ups every billing sub-domain uses: a record by id, within the caller's reach."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.errors import BillingNotFound
from propdesk.billing.models import Unit
from propdesk.common.auth import Principal


def _missing(model, record_id) -> str:
    return (
        f"unit {record_id} not known to billing"
        if model is Unit
        else f"{model.__tablename__} {record_id} not found"
    )


async def managed(
    session: AsyncSession, model, record_id: uuid.UUID, principal: Principal, *, lock: bool = False
):
    """A record staff act on: 404 when there is none, 403 outside the principal's estates."""
    row = await session.get(model, record_id, with_for_update=lock)
    if row is None:
        raise BillingNotFound(_missing(model, record_id))
    principal.require_estate(row.estate_id)
    return row


async def visible(session: AsyncSession, model, record_id: uuid.UUID, principal: Principal):
    """A record a resident may read too: 404 unless its estate is the principal's, then their own unit only."""
    row = await session.get(model, record_id)
    if row is None or not principal.can_see_estate(row.estate_id):
        raise BillingNotFound(_missing(model, record_id))
    principal.require_unit(row.id if model is Unit else row.unit_id)
    return row


async def unit_or_404(session: AsyncSession, unit_id: uuid.UUID) -> Unit:
    unit = await session.get(Unit, unit_id)
    if unit is None:
        raise BillingNotFound(_missing(Unit, unit_id))
    return unit
