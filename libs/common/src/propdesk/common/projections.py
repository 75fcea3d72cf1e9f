"""Projections other services keep of intake's registry. Each service owns its copy, in its schema."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from propdesk.common import outbox
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.errors import NotFound
from propdesk.common.events import Envelope, EventPayload
from propdesk.common.i18n import Text
from propdesk.common.logging import get_logger

log = get_logger("propdesk.projections")


class EstateNotKnown(NotFound):
    code = "estate-not-known"
    title = Text("本服务尚未收到该小区", "Estate not (yet) known to this service")


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


async def provision_estate(
    session: AsyncSession,
    table: Table,
    event: EstateRegistered,
    envelope: Envelope,
    *,
    defaults: list,
    provisioned: EventPayload,
) -> bool:
    """A service's answer to `intake.estate.registered`: keep the projection; the first time, seed the
    estate's defaults and record `<service>.estate.provisioned`. A re-published registration only
    refreshes the projection (defaults stay as configured). True when the estate was new."""
    if not await upsert_estate(session, table, event, envelope):
        return False
    session.add_all(defaults)
    await session.flush()
    outbox.record(session, provisioned, aggregate_id=event.estate_id, estate_id=event.estate_id)
    log.info(
        "estate.provisioned",
        estate_id=str(event.estate_id),
        producer=type(provisioned).spec.producer,
        defaults=len(defaults),
    )
    return True


async def require_known_estate(
    session: AsyncSession, table: Table, estate_id: uuid.UUID, service: str
) -> None:
    if (await session.execute(select(table.c.id).where(table.c.id == estate_id))).first() is None:
        raise EstateNotKnown(f"estate {estate_id} is not known to {service}")
