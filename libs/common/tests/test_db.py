"""`db.insert_new`: new ORM objects and plain rows (timers, outbox) written in one statement."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import asyncpg.pgproto.pgproto
import pytest
from sqlalchemy import ARRAY, Date, DateTime, ForeignKey, MetaData, Numeric, String, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from propdesk.common import timers
from propdesk.common.db import NumberBlock, insert_new, unit_of_work
from propdesk.common.testing.probe import Probe
from propdesk.common.timeutil import utcnow


class Base(DeclarativeBase):
    metadata = MetaData(schema="probe")


class Parent(Base):
    __tablename__ = "parent"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String), default=list)
    data: Mapped[dict] = mapped_column(JSONB)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    day: Mapped[dt.date | None] = mapped_column(Date)


class Child(Base):
    __tablename__ = "child"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    parent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parent.id"))
    note: Mapped[str | None] = mapped_column(String(50))


@pytest.fixture
async def probe(platform_env):
    p = Probe(platform_env.database_url, platform_env.nats_url, platform_env.namespace)
    await p.install()
    async with p.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield p
    await p.close()


async def test_objects_and_rows_in_one_statement(probe):
    at = utcnow()
    parent = Parent(
        name="一号楼 'quoted'", data={"k": [1, "二"]}, at=at, amount=Decimal("12.30"), day=at.date()
    )
    parent.id = uuid.uuid4()
    # the child is listed first: foreign keys are checked when every row is in. Its parent's id is asyncpg's
    # own UUID type, as values read from the database are.
    child = Child(parent_id=asyncpg.pgproto.pgproto.UUID(str(parent.id)))
    async with unit_of_work(probe.sessionmaker) as session:
        table, rows = timers.new_rows(
            session, [{"kind": "probe.fire", "key": f"p:{parent.id}", "due_at": at, "payload": {"n": 1}}]
        )
        await insert_new(session, [child, parent], {table: rows})
    assert parent.tags == [] and child.note is None  # the objects got the values that were written
    async with probe.sessionmaker() as session:
        got = await session.get(Parent, parent.id)
        assert (got.name, got.tags, got.data, got.at, got.amount, got.day) == (
            "一号楼 'quoted'",
            [],
            {"k": [1, "二"]},
            at,
            Decimal("12.30"),
            at.date(),
        )
        assert (await session.get(Child, child.id)).parent_id == parent.id
        timer = (
            await session.execute(
                text("SELECT kind, due_at, payload, attempts FROM probe.timer WHERE key = :k"),
                {"k": f"p:{parent.id}"},
            )
        ).one()
        assert tuple(timer) == ("probe.fire", at, {"n": 1}, 0)


async def test_a_broken_reference_is_an_integrity_error_and_writes_nothing(probe):
    orphan = Child(parent_id=uuid.uuid4())
    other = Parent(name="written with the orphan", data={}, at=utcnow(), amount=Decimal(1))
    with pytest.raises(IntegrityError):
        async with unit_of_work(probe.sessionmaker) as session:
            await insert_new(session, [orphan, other])
    async with probe.sessionmaker() as session:
        assert await session.get(Parent, other.id) is None


async def test_numbers_come_from_the_sequence_a_block_at_a_time(probe):
    async with probe.engine.begin() as conn:
        await conn.execute(text("CREATE SEQUENCE probe.number"))
    block = NumberBlock("probe.number", size=3)
    async with probe.sessionmaker() as session:
        numbers = [await block.next(session) for _ in range(4)]
        assert numbers == [1, 2, 3, 4]
        # two blocks were taken: the next number from the sequence itself is after both
        assert (await session.execute(text("SELECT nextval('probe.number')"))).scalar() == 7
