"""intake's tables, schema `intake`."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata

SCHEMA = "intake"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


class Estate(KeyMixin, TimestampMixin, Base):
    __tablename__ = "estate"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    address: Mapped[str | None] = mapped_column(String(500))
    provisioning: Mapped[list[EstateProvisioning]] = relationship(
        back_populates="estate", lazy="selectin", order_by="EstateProvisioning.service"
    )


class EstateProvisioning(Base):
    """Which services have reported the estate provisioned (their `*.estate.provisioned` events)."""

    __tablename__ = "estate_provisioning"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("intake.estate.id"), primary_key=True
    )
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    provisioned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    estate: Mapped[Estate] = relationship(back_populates="provisioning")
