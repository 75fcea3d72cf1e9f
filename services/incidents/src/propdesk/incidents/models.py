"""incidents's tables, schema `incidents`: the estate projection and response targets, estate playbook
overrides, incidents with their snapshot playbook, steps, outside parties, linked reports and timeline."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common.db import KeyMixin, TimestampMixin, make_metadata
from propdesk.common.ids import uuid7
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


class EstatePlaybook(KeyMixin, TimestampMixin, Base):
    """An estate's own version of a playbook (the YAML as given, validated)."""

    __tablename__ = "estate_playbook"
    __table_args__ = (UniqueConstraint("estate_id", "key", "version"),)

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("incidents.estate.id"))
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    document: Mapped[dict] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(100))


class Incident(KeyMixin, TimestampMixin, Base):
    __tablename__ = "incident"
    __table_args__ = (
        UniqueConstraint("reference"),
        Index("ix_incident_estate_active", "estate_id", "playbook_key", postgresql_where=text("active")),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), ForeignKey("incidents.estate.id"))
    reference: Mapped[str] = mapped_column(String(32))
    playbook_key: Mapped[str] = mapped_column(String(40))
    playbook_version: Mapped[int] = mapped_column(Integer)
    playbook: Mapped[dict] = mapped_column(
        JSONB
    )  # the snapshot: later edits do not change a running incident
    severity: Mapped[str] = mapped_column(String(10))
    drill: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    place_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    unit_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    floors: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    location: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(String(100))
    reports: Mapped[int] = mapped_column(Integer, default=1)
    triggered_by: Mapped[str] = mapped_column(String(100))
    triggered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    stabilised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IncidentStep(KeyMixin, Base):
    __tablename__ = "incident_step"
    __table_args__ = (
        UniqueConstraint("incident_id", "key"),
        Index(
            "uq_incident_step_work_order_request",
            "work_order_request_id",
            unique=True,
            postgresql_where=text("work_order_request_id IS NOT NULL"),
        ),
    )

    incident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(SmallInteger)
    role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    # a `repair` step's work order: asked for under this request id, then known by its id and reference
    work_order_request_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    work_order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    work_order_reference: Mapped[str | None] = mapped_column(String(32))


class IncidentParty(KeyMixin, Base):
    """An outside party: 119, 110, 120, the elevator contractor, the utility."""

    __tablename__ = "incident_party"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    called_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    called_by: Mapped[str] = mapped_column(String(100))
    promised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IncidentEntry(Base):
    """The timeline: state changes, steps, escalations, calls, linked reports, notes."""

    __tablename__ = "incident_entry"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)
    incident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONB, default=dict)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC))


class Place(Base):
    """Projection of intake's places (common areas, equipment locations): where a report about one is."""

    __tablename__ = "place"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    floor: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))


class Unit(Base):
    """Projection of intake's units: where a unit is (building, floor) for broadcast scope and the tally."""

    __tablename__ = "unit"
    __table_args__ = (Index("ix_incidents_unit_building_floor", "building_id", "floor"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    building_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    floor: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="residential")


class Broadcast(KeyMixin, Base):
    __tablename__ = "broadcast"

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), index=True
    )
    outage_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    scope: Mapped[dict] = mapped_column(JSONB)
    title_zh: Mapped[str] = mapped_column(String(200))
    body_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(String(200))
    body_en: Mapped[str] = mapped_column(Text)
    ask_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    staff_only: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_by: Mapped[str] = mapped_column(String(100))


class Reply(KeyMixin, Base):
    """A resident's answer to an incident: safe, or needs help (the latest answer per unit and person counts)."""

    __tablename__ = "reply"
    __table_args__ = (UniqueConstraint("incident_id", "unit_id", "resident"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), index=True
    )
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    resident: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class HelpTask(KeyMixin, Base):
    __tablename__ = "help_task"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), index=True
    )
    reply_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    unit_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: dt.datetime.now(dt.UTC)
    )
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(100))


class PlannedOutage(KeyMixin, TimestampMixin, Base):
    """计划停水停电: noticed ahead, a reminder before it starts, an all-clear when it ends."""

    __tablename__ = "planned_outage"

    estate_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.estate.id"), index=True
    )
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    building_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    floors: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    notice_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reminder_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), default="scheduled")
    noticed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    all_clear_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(100))


class Review(Base):
    """The post-incident review with its follow-up tasks."""

    __tablename__ = "review"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("incidents.incident.id"), primary_key=True
    )
    summary: Mapped[str] = mapped_column(Text)
    causes: Mapped[str | None] = mapped_column(Text)
    follow_ups: Mapped[list] = mapped_column(JSONB, default=list)
    reviewed_by: Mapped[str] = mapped_column(String(100))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class OutageReport(KeyMixin, Base):
    """A resident's report of no power or no water (from repairs), counted per building within a window."""

    __tablename__ = "outage_report"
    __table_args__ = (
        Index("ix_outage_report_building_kind_at", "estate_id", "building_id", "kind", "reported_at"),
    )

    estate_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    building_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    kind: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(32))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
