"""repairs's tables, schema `repairs`."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.projections import estate_projection

SCHEMA = "repairs"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


estate = estate_projection(Base.metadata)  # projection of intake's estates


class SlaTarget(KeyMixin, TimestampMixin, Base):
    """Default SLA targets per urgency and milestone (DOMAIN.md); configurable per estate."""

    __tablename__ = "sla_target"
    __table_args__ = (UniqueConstraint("estate_id", "urgency", "milestone"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("repairs.estate.id"))
    urgency: Mapped[str] = mapped_column(String(16))
    milestone: Mapped[str] = mapped_column(String(16))
    target_minutes: Mapped[int] = mapped_column(Integer())
    calendar: Mapped[str] = mapped_column(String(16))
