"""incidents's tables, schema `incidents`."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.projections import estate_projection

SCHEMA = "incidents"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


estate = estate_projection(Base.metadata)  # projection of intake's estates


class ResponseTarget(KeyMixin, TimestampMixin, Base):
    """Legal and practical time limits the playbooks are held to (DOMAIN.md), per estate."""

    __tablename__ = "response_target"
    __table_args__ = (UniqueConstraint("estate_id", "incident_kind", "step"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("incidents.estate.id"))
    incident_kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    target_minutes: Mapped[int] = mapped_column(Integer())
    source: Mapped[str] = mapped_column(String(200))
