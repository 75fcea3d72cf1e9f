"""Database: SQLAlchemy 2 async + asyncpg, one schema per service, naming conventions, UUIDv7 keys,
created_at/updated_at, the backbone's tables, engines and the sessions that are units of work (`uow`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, mapped_column

from propdesk.common import uow
from propdesk.common.ids import uuid7
from propdesk.common.uow import UnitOfWorkSession

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc_now_column(**kw: object) -> Mapped[dt.datetime]:
    """Set in Python (so the value is known after a flush, no lazy reload in async code); the server
    default covers rows written with plain SQL."""
    return mapped_column(
        DateTime(timezone=True), default=_now, server_default=func.now(), nullable=False, **kw
    )


class KeyMixin:
    """UUIDv7 primary key."""

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid7)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = utc_now_column()
    updated_at: Mapped[dt.datetime] = utc_now_column(onupdate=_now)


@dataclass(frozen=True)
class PlatformTables:
    """The backbone's tables, present in every service's schema (created by its first migration)."""

    schema: str
    metadata: MetaData
    outbox: Table
    inbox: Table
    dead_letter: Table
    timer: Table
    idempotency_key: Table

    @property
    def outbox_channel(self) -> str:
        return f"{self.schema}_outbox"

    @property
    def timer_channel(self) -> str:
        return f"{self.schema}_timer"


def platform_tables(schema: str) -> PlatformTables:
    md = make_metadata(schema)
    ts = lambda name: Column(name, DateTime(timezone=True), server_default=func.now(), nullable=False)  # noqa: E731
    outbox = Table(
        "outbox",
        md,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("event_type", String(200), nullable=False),
        Column("aggregate_id", String(64), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("envelope", JSONB, nullable=False),
        ts("created_at"),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_pending", "partition", "seq", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        md,
        Column("consumer", String(100), nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("subject", String(255), nullable=False),
        ts("processed_at"),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    dead_letter = Table(
        "dead_letter",
        md,
        Column("id", UUID(as_uuid=True), primary_key=True, default=uuid7),
        Column("source", String(20), nullable=False),  # consumer | timer
        Column("consumer", String(100), nullable=False),
        Column("event_id", UUID(as_uuid=True)),
        Column("subject", String(255), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        ts("created_at"),
        Column("replayed_at", DateTime(timezone=True)),
    )
    timer = Table(
        "timer",
        md,
        Column("id", UUID(as_uuid=True), primary_key=True, default=uuid7),
        Column("kind", String(100), nullable=False),
        Column("key", String(200), unique=True),
        Column("due_at", DateTime(timezone=True), nullable=False, index=True),
        Column("payload", JSONB, nullable=False),
        Column("correlation_id", String(64)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
        ts("created_at"),
    )
    idem = Table(
        "idempotency_key",
        md,
        Column("principal", String(100), nullable=False),
        Column("key", String(200), nullable=False),
        Column("route", String(255), nullable=False),
        Column("request_hash", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("response", JSONB, nullable=False),
        ts("created_at"),
        PrimaryKeyConstraint("principal", "key"),
    )
    return PlatformTables(schema, md, outbox, inbox, dead_letter, timer, idem)


def asyncpg_url(url: str) -> str:
    """Accept postgres://, postgresql:// or postgresql+asyncpg:// and return the SQLAlchemy form."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The plain DSN asyncpg.connect() takes (for LISTEN connections)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(
    url: str, *, pool_size: int = 10, app_name: str = "propdesk", local_wakeups: bool = False
) -> AsyncEngine:
    """`local_wakeups`: this process wakes its own relay and timer worker after each commit
    (`wake_after_commit`), so its connections tell the outbox and timer triggers not to NOTIFY (platform v3)."""
    server_settings = {"application_name": app_name, "timezone": "UTC"}
    if local_wakeups:
        server_settings["propdesk.wake"] = "local"
    return create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        # no pre-ping: it cost two round trips (BEGIN; ROLLBACK) per unit of work, in every service, on
        # every event. A connection broken by a database restart fails its first use instead (a 503, or
        # a retried relay/consumer/timer pass) and SQLAlchemy then drops every pooled connection.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"server_settings": server_settings},
    )


def create_sessionmaker(
    engine: AsyncEngine,
    tables: PlatformTables,
    settings: object | None = None,
    notifier: object | None = None,
) -> async_sessionmaker[AsyncSession]:
    """Sessions are units of work (`uow.UnitOfWorkSession`). They know their service's platform tables
    (`platform_of`, for outbox and timers), its settings (`settings_of`, for handlers that run outside a
    request) and the notifier a commit wakes when it wrote events or timers."""
    return async_sessionmaker(
        engine,
        class_=UnitOfWorkSession,
        expire_on_commit=False,
        autoflush=True,
        info={"platform": tables, "settings": settings, "notifier": notifier},
    )


def settings_of(session: AsyncSession):
    settings = session.info.get("settings")
    if settings is None:
        raise RuntimeError("session was made without settings")
    return settings


def platform_of(session: AsyncSession) -> PlatformTables:
    try:
        return session.info["platform"]
    except KeyError:
        raise RuntimeError("session was not made by create_sessionmaker(): no platform tables") from None


class NumberBlock:
    """Numbers for human references from a PostgreSQL sequence, taken `size` at a time per process: a hot
    path (a report) then asks the database once per `size` numbers instead of once each. Unique as the
    sequence is; like it, not gapless (a restart leaves the rest of a block unused), and with several
    replicas not in creation order across them. A number taken by a unit of work that rolls back is given
    back to the block."""

    def __init__(self, sequence: str, size: int = 20) -> None:
        self._query = text(f"SELECT nextval('{sequence}') FROM generate_series(1, {int(size)})")
        self._free: dict[str, list[int]] = {}  # per database: a process may talk to several (tests do)

    async def next(self, session: AsyncSession) -> int:
        free = self._free.setdefault(str(session.bind.url), [])
        if not free:
            free[:0] = sorted((await session.execute(self._query)).scalars())
        number = free.pop(0)
        uow.after_rollback(session, lambda: free.insert(0, number))
        return number


def with_database(url: str, name: str) -> str:
    """The same server's URL with another database name (libpq form)."""
    return make_url(libpq_url(url)).set(database=name).render_as_string(hide_password=False)
