"""notify's tables, schema `notify`: recipients (projected from intake), preferences, templates, and
messages with their per-channel deliveries."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.ids import uuid7
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


class Recipient(TimestampMixin, Base):
    """A resident or a staff member, projected from intake's events (id = intake's id)."""

    __tablename__ = "recipient"
    __table_args__ = (
        Index("ix_recipient_estate_kind", "estate_id", "kind"),
        Index("ix_recipient_units", "units", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(8))  # resident | staff
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    units: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    department: Mapped[str | None] = mapped_column(String(32))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DutyShift(Base):
    """intake's duty roster, projected (id = intake's shift id): who holds which duty when."""

    __tablename__ = "duty_shift"
    __table_args__ = (Index("ix_duty_shift_estate_duty_time", "estate_id", "duty", "ends_at"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    staff_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    duty: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Preference(Base):
    """A recipient's choice for one category on one channel (absent: the defaults)."""

    __tablename__ = "preference"

    recipient_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notify.recipient.id"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class Template(KeyMixin, TimestampMixin, Base):
    """A template an estate (or, with no estate, the platform) uses instead of the default in code."""

    __tablename__ = "template"
    __table_args__ = (
        UniqueConstraint(
            "estate_id", "event_type", "channel", "language", postgresql_nulls_not_distinct=True
        ),
    )

    estate_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("notify.estate.id"))
    event_type: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100), default="system")


class Message(KeyMixin, Base):
    """What one recipient is told about one event; its deliveries go out per channel."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient_id"),
        Index("ix_message_inbox", "recipient_id", "created_at"),
    )

    estate_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(String(100))
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("notify.recipient.id"))
    category: Mapped[str] = mapped_column(String(32))
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    context: Mapped[dict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=lambda: dt.datetime.now(dt.UTC)
    )
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    chain_step: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )  # critical: how far down the fallback chain


class Delivery(KeyMixin, TimestampMixin, Base):
    """One message on one channel: pending → sending → sent → delivered, or failed, or suppressed (with why).
    (source event, recipient, channel) is unique: a redelivered event sends nothing twice."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient_id", "channel"),
        Index("ix_delivery_recipient", "recipient_id", "created_at"),
        Index("ix_delivery_provider_ref", "provider_ref"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notify.message.id"), index=True
    )
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(200))
    provider: Mapped[str | None] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    held_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    override: Mapped[str | None] = mapped_column(String(200))


class DeliveryLog(Base):
    """Every state change and attempt of a delivery, queryable per message and per recipient."""

    __tablename__ = "delivery_log"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notify.delivery.id"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC))
    state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


class DigestItem(Base):
    """An alert waiting for its recipient's next digest (staff get SLA alerts grouped, not one by one)."""

    __tablename__ = "digest_item"
    __table_args__ = (
        UniqueConstraint("source_event_id", "recipient_id"),
        Index(
            "ix_digest_item_pending", "recipient_id", "category", postgresql_where="digest_message_id IS NULL"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    source_event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("notify.recipient.id"))
    estate_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC)
    )
    digest_message_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class WebhookSubscription(KeyMixin, TimestampMixin, Base):
    """Another system that wants propdesk's events, signed per Standard Webhooks with its own secret."""

    __tablename__ = "webhook_subscription"

    estate_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # None: every estate
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(100)))  # exact types or prefixes ending in *
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # names, phones, e-mails and ID numbers in the events it receives; otherwise they are masked
    personal_data: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_by: Mapped[str] = mapped_column(String(100))


class WebhookDelivery(KeyMixin, TimestampMixin, Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notify.webhook_subscription.id")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(String(100))
    envelope: Mapped[dict] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Provider(TimestampMixin, Base):
    """An HTTP provider managed through the API, for one estate's messages (its managers manage it) or, with no
    estate, for every estate (the platform's admins only); tried before the ones in settings."""

    __tablename__ = "provider"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    estate_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("notify.estate.id"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(100))


class UnitPlace(Base):
    """Where each unit is (building, floor), from intake's unit events: the geography of broadcast scopes."""

    __tablename__ = "unit_place"
    __table_args__ = (Index("ix_unit_place_building_floor", "estate_id", "building_id", "floor"),)

    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    building_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    floor: Mapped[int] = mapped_column(Integer)
