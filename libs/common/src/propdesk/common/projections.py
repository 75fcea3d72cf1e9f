"""Projections other services keep of intake's registry. Each service owns its copy, in its schema."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.events import Envelope


def estate_projection(metadata: MetaData) -> Table:
    return Table(
        "estate",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("code", String(32), nullable=False),
        Column("name", String(200), nullable=False),
        Column("name_en", String(200)),
        Column("timezone", String(64), nullable=False),
        Column("registered_at", DateTime(timezone=True), nullable=False),
        Column("created_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
        Column("updated_at", DateTime(timezone=True), server_default=func.now(), nullable=False),
    )


async def upsert_estate(
    session: AsyncSession, table: Table, event: EstateRegistered, envelope: Envelope
) -> bool:
    """Insert or refresh the projected estate. True when it was not known before."""
    values = {
        "id": event.estate_id,
        "code": event.code,
        "name": event.name,
        "name_en": event.name_en,
        "timezone": event.timezone,
        "registered_at": envelope.occurred_at,
    }
    stmt = pg_insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={k: stmt.excluded[k] for k in ("code", "name", "name_en", "timezone")}
        | {"updated_at": func.now()},
    ).returning((table.c.created_at == table.c.updated_at).label("inserted"))
    return bool((await session.execute(stmt)).scalar_one())
