"""Database: SQLAlchemy 2 async + asyncpg, one schema per service, naming conventions, UUIDv7 keys,
created_at/updated_at, and the unit of work: the only place that commits."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal

import asyncpg
import orjson
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
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Mapped, mapped_column

from propdesk.common.ids import uuid7

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
    """Sessions know their service's platform tables (`session.info["platform"]`, for outbox and timers),
    its settings (`settings_of(session)`, for handlers that run outside a request) and the notifier that
    `unit_of_work` wakes after a commit that wrote events or timers."""
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=True,
        info={"platform": tables, "settings": settings, "notifier": notifier},
    )


def wake_after_commit(session: AsyncSession, channel: str, due: float = -math.inf) -> None:
    """Once this session's unit of work commits, wake this process's worker listening on `channel` (the
    relay on the outbox channel; the timer worker on the timer channel, with the earliest new due time as
    epoch seconds). The database's NOTIFY does the same for writes from other processes."""
    wakes = session.info.setdefault("wake", {})
    wakes[channel] = min(wakes.get(channel, math.inf), due)


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


@asynccontextmanager
async def unit_of_work(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit on success, roll back on any exception. Services and repositories only flush."""
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            wakes, notifier = session.info.pop("wake", None), session.info.get("notifier")
            if wakes and notifier is not None:
                for channel, due in wakes.items():
                    notifier.poke(channel, due)


class NumberBlock:
    """Numbers for human references from a PostgreSQL sequence, taken `size` at a time per process: a hot
    path (a report) then asks the database once per `size` numbers instead of once each. Unique as the
    sequence is; like it, not gapless (a restart leaves the rest of a block unused), and with several
    replicas not in creation order across them."""

    def __init__(self, sequence: str, size: int = 20) -> None:
        self._query = text(f"SELECT nextval('{sequence}') FROM generate_series(1, {int(size)})")
        self._free: dict[str, list[int]] = {}  # per database: a process may talk to several (tests do)

    async def next(self, session: AsyncSession) -> int:
        free = self._free.setdefault(str(session.bind.url), [])
        if not free:
            free[:0] = sorted((await session.execute(self._query)).scalars())
        return free.pop(0)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's transaction (begun here if no statement has
    begun it yet: SQLAlchemy's asyncpg adapter begins lazily, and a statement sent before that would commit
    on its own). For the few hot or bulk paths that talk to asyncpg directly; the unit of work still commits."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    adapted = raw.dbapi_connection
    if (
        getattr(adapted, "_transaction", None) is None
        and getattr(adapted, "isolation_level", None) != "autocommit"
    ):
        await adapted._start_transaction()
    return raw.driver_connection


async def copy_rows(session: AsyncSession, table: Table, rows: list[dict]) -> None:
    """COPY rows into a table on the session's own connection, inside its transaction: the fastest bulk
    write PostgreSQL has (for brand-new rows: no ON CONFLICT, no defaults filled in)."""
    if not rows:
        return
    driver = await driver_connection(session)
    columns = list(rows[0])
    await driver.copy_records_to_table(
        table.name,
        schema_name=table.schema,
        columns=columns,
        records=[tuple(r[c] for c in columns) for r in rows],
    )


async def insert_new(
    session: AsyncSession, objects: list, rows: dict[Table, list[dict]] | None = None
) -> None:
    """Write new ORM objects, and any further plain `rows` per table (an outbox's events, timers), in ONE
    statement instead of the unit of work's flush: for hot paths that build a handful of rows in memory.

    Each table's rows travel as one JSON document (`jsonb_populate_recordset`) in a data-modifying CTE, so the
    statement's text depends only on which tables it writes (prepared once per connection) and a report's
    five INSERTs are one round trip. Foreign keys are checked at the end of the statement, when every row is
    in. The objects leave the session and stay readable; every column gets its value (the object's, else the
    column's Python default, else None), and the object is given the same values, so what a response shows
    is what was written. Plain rows name only the columns they set: the others take the table's defaults."""
    by_table: dict[Table, list[dict]] = {}
    for obj in objects:
        if obj in session:
            session.expunge(obj)
        table = type(obj).__table__
        row = {}
        for column in table.columns:
            if column.key in obj.__dict__:
                value = obj.__dict__[column.key]
            else:
                default = column.default
                value = None
                if default is not None:
                    value = default.arg(None) if default.is_callable else default.arg
                setattr(obj, column.key, value)
            row[column.name] = value
        by_table.setdefault(table, []).append(row)
    for table, extra in (rows or {}).items():
        if extra:
            by_table.setdefault(table, []).extend(extra)
    if not by_table:
        return
    documents, parts = [], []
    for n, table in enumerate(by_table, 1):  # in any order: foreign keys are checked at the end
        columns = list(dict.fromkeys(c for row in by_table[table] for c in row))
        names = ", ".join(f'"{c}"' for c in columns)
        qualified = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
        parts.append(
            f"w{n} AS (INSERT INTO {qualified} ({names}) "
            f"SELECT {names} FROM jsonb_populate_recordset(NULL::{qualified}, ${n}::jsonb))"
        )
        documents.append(
            orjson.dumps(by_table[table], default=_json_value, option=orjson.OPT_NAIVE_UTC).decode()
        )
    statement = "WITH " + ",\n".join(parts) + " SELECT 1"
    driver = await driver_connection(session)
    try:
        await driver.execute(statement, *documents)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(statement, None, exc) from exc
    except asyncpg.PostgresError as exc:
        raise DBAPIError(statement, None, exc) from exc


def _json_value(value):
    """JSON for the values ORM columns hold that orjson does not write itself (it writes UUIDs, dates and
    times; naive times as UTC, as asyncpg reads them): text PostgreSQL casts back to the column's type."""
    if isinstance(value, (Decimal, uuid.UUID)):  # asyncpg's own UUID type too (a subclass orjson leaves)
        return str(value)
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
