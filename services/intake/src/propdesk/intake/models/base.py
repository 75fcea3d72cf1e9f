"""intake's declarative base: schema `intake`."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import make_metadata

SCHEMA = "intake"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


def estate_fk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), ForeignKey("intake.estate.id"), index=True)


def fk(target: str, *, nullable: bool = False, index: bool = False) -> Mapped:
    """A reference to another intake table's id."""
    return mapped_column(
        UUID(as_uuid=True), ForeignKey(f"intake.{target}.id"), nullable=nullable, index=index
    )
