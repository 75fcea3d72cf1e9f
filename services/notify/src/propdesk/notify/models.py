"""notify's tables, schema `notify`."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Time, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.projections import estate_projection

SCHEMA = "notify"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


estate = estate_projection(Base.metadata)  # projection of intake's estates


class QuietHours(KeyMixin, TimestampMixin, Base):
    """Quiet hours that hold back non-urgent messages until morning, estate time."""

    __tablename__ = "quiet_hours"
    __table_args__ = (UniqueConstraint("estate_id", "applies_to"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("notify.estate.id"))
    starts: Mapped[dt.time] = mapped_column(Time())
    ends: Mapped[dt.time] = mapped_column(Time())
    timezone: Mapped[str] = mapped_column(String(64))
    applies_to: Mapped[str] = mapped_column(String(32))


_ = dt  # dt is used by annotations of some services
