"""Who pays for a unit: the resident finance named (a tenant who pays, while they live there), else the owner
(the earliest current one). Invoices, dunning notices and receipts go to the payer alone, not to every
occupant."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.billing.models import Resident, Unit, UnitPayer
from propdesk.common.errors import InvalidInput
from propdesk.common.i18n import Text
from propdesk.common.timeutil import utcnow

PAYERS = text("""
    WITH units AS (
      SELECT id FROM billing.unit
      WHERE (CAST(:units AS uuid[]) IS NULL OR id = ANY(CAST(:units AS uuid[])))
        AND (CAST(:estate AS uuid) IS NULL OR estate_id = CAST(:estate AS uuid))
    ), owners AS (
      SELECT DISTINCT ON (p.unit_id) p.unit_id, p.resident_id
      FROM billing.payer p JOIN units u ON u.id = p.unit_id
      WHERE p.role = 'owner' AND p.ended_on IS NULL ORDER BY p.unit_id, p.started_on, p.resident_id
    ), named AS (
      SELECT DISTINCT n.unit_id, n.resident_id
      FROM billing.unit_payer n JOIN units u ON u.id = n.unit_id
      JOIN billing.payer p ON p.unit_id = n.unit_id AND p.resident_id = n.resident_id AND p.ended_on IS NULL
    )
    SELECT u.id, coalesce(n.resident_id, o.resident_id) AS payer, n.resident_id IS NOT NULL AS named
    FROM units u LEFT JOIN named n ON n.unit_id = u.id LEFT JOIN owners o ON o.unit_id = u.id
    WHERE coalesce(n.resident_id, o.resident_id) IS NOT NULL
""")


async def of_units(
    session: AsyncSession, unit_ids: list[uuid.UUID] | None = None, *, estate_id: uuid.UUID | None = None
) -> dict[uuid.UUID, uuid.UUID]:
    """unit → the resident who pays (units with nobody to pay left out)."""
    rows = await session.execute(PAYERS, {"units": unit_ids, "estate": estate_id})
    return {unit_id: payer for unit_id, payer, _ in rows.all()}


async def of_unit(session: AsyncSession, unit_id: uuid.UUID) -> uuid.UUID | None:
    return (await of_units(session, [unit_id])).get(unit_id)


async def describe(session: AsyncSession, unit_id: uuid.UUID) -> dict | None:
    row = (await session.execute(PAYERS, {"units": [unit_id], "estate": None})).first()
    if row is None:
        return None
    resident = await session.get(Resident, row.payer)
    return {"resident_id": str(row.payer), "name": resident.name if resident else None, "named": row.named}


async def name(session: AsyncSession, unit: Unit, resident_id: uuid.UUID | None, actor: str) -> dict | None:
    """Name the unit's payer (one of its current occupants), or None: the owner pays again."""
    if resident_id is None:
        await session.execute(text("DELETE FROM billing.unit_payer WHERE unit_id = :u"), {"u": unit.id})
        return await describe(session, unit.id)
    lives_there = (
        await session.execute(
            text(
                "SELECT 1 FROM billing.payer WHERE unit_id = :u AND resident_id = :r AND ended_on IS NULL LIMIT 1"
            ),
            {"u": unit.id, "r": resident_id},
        )
    ).first()
    if lives_there is None:
        raise InvalidInput(
            Text(
                "付款人须为该房屋的现住业主或租户", "The payer must be a current owner or tenant of the unit"
            ),
            resident_id=str(resident_id),
        )
    values = {"resident_id": resident_id, "named_by": actor, "named_at": utcnow()}
    stmt = pg_insert(UnitPayer).values(unit_id=unit.id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["unit_id"], set_=values))
    return await describe(session, unit.id)
