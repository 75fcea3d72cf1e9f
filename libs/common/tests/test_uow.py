"""The unit of work: staged writes in one statement, hooks that run only after a commit (or a rollback),
savepoints that undo their block, caches and number blocks that a rollback leaves as they were."""

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

from propdesk.common import outbox, timers, uow
from propdesk.common.cache import TTLCache
from propdesk.common.contracts.intake import EstateRegistered
from propdesk.common.db import NumberBlock
from propdesk.common.testing.probe import Probe
from propdesk.common.timeutil import utcnow
from propdesk.common.uow import unit_of_work


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


class Boom(Exception):
    pass


@pytest.fixture
async def probe(platform_env):
    p = Probe(platform_env.database_url, platform_env.nats_url, platform_env.namespace)
    await p.install()
    async with p.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield p
    await p.close()


async def statements(session) -> list[str]:
    """The SQL the session's connection sends from now on (watched on the asyncpg connection itself: the
    flush writes through it, not through SQLAlchemy)."""
    sent: list[str] = []
    (await uow.driver_connection(session)).add_query_logger(lambda record: sent.append(record.query))
    return sent


def parent(name: str = "p") -> Parent:
    return Parent(name=name, data={}, at=utcnow(), amount=Decimal(1))


class TestStagedWrites:
    async def test_objects_rows_events_and_timers_go_in_one_statement(self, probe):
        at = utcnow()
        p = Parent(
            name="一号楼 'quoted'", data={"k": [1, "二"]}, at=at, amount=Decimal("12.30"), day=at.date()
        )
        p.id = uuid.uuid4()
        # the child is staged first (foreign keys are checked when every row is in); its parent's id is
        # asyncpg's own UUID type, as values read from the database are
        child = Child(parent_id=asyncpg.pgproto.pgproto.UUID(str(p.id)))
        async with unit_of_work(probe.sessionmaker) as session:
            sent = await statements(session)
            uow.add(session, child, p)
            outbox.record(session, EstateRegistered(estate_id=p.id, code="P", name="n"), aggregate_id=p.id)
            timers.schedule(session, kind="probe.fire", key=f"p:{p.id}", due_at=at, payload={"n": 1})
            assert p.tags == [] and child.note is None  # the objects have the values that will be written
            assert uow.added(session, Child) == [child]
            p.name = "一号楼 'quoted'"  # a change before the flush is written too
            assert sent == []  # nothing is written before the flush
        assert len([s for s in sent if "INSERT" in s]) == 1, sent
        async with probe.sessionmaker() as session:
            got = await session.get(Parent, p.id)
            assert (got.name, got.tags, got.data, got.at, got.amount, got.day) == (
                "一号楼 'quoted'",
                [],
                {"k": [1, "二"]},
                at,
                Decimal("12.30"),
                at.date(),
            )
            assert (await session.get(Child, child.id)).parent_id == p.id
            timer = (
                await session.execute(
                    text("SELECT kind, due_at, payload, attempts FROM probe.timer WHERE key = :k"),
                    {"k": f"p:{p.id}"},
                )
            ).one()
            assert tuple(timer) == ("probe.fire", at, {"n": 1}, 0)
            assert (await session.execute(text("SELECT count(*) FROM probe.outbox"))).scalar() == 1

    async def test_a_broken_reference_is_an_integrity_error_and_writes_nothing(self, probe):
        orphan, other = Child(parent_id=uuid.uuid4()), parent("written with the orphan")
        with pytest.raises(IntegrityError):
            async with unit_of_work(probe.sessionmaker) as session:
                uow.add(session, orphan, other)
        async with probe.sessionmaker() as session:
            assert await session.get(Parent, other.id) is None

    async def test_a_rolled_back_unit_writes_nothing_it_staged(self, probe):
        p = parent()
        with pytest.raises(Boom):
            async with unit_of_work(probe.sessionmaker) as session:
                uow.add(session, p)
                outbox.record(
                    session, EstateRegistered(estate_id=p.id, code="P", name="n"), aggregate_id=p.id
                )
                raise Boom
        async with probe.sessionmaker() as session:
            assert await session.get(Parent, p.id) is None
            assert (await session.execute(text("SELECT count(*) FROM probe.outbox"))).scalar() == 0

    async def test_a_flush_writes_what_was_staged_and_the_session_tracks_it_after(self, probe):
        p = parent("seen")
        async with unit_of_work(probe.sessionmaker) as session:
            uow.add(session, p)
            query = text("SELECT count(*) FROM probe.parent WHERE name = 'seen'")
            assert (await session.execute(query)).scalar() == 0
            await uow.flush(session)
            assert (await session.execute(query)).scalar() == 1
            assert uow.added(session, Parent) == [p] and p in session
            p.amount = Decimal(7)  # written: from now on the session tracks it (an UPDATE)
        async with probe.sessionmaker() as session:
            assert (await session.get(Parent, p.id)).amount == Decimal(7)


class TestTimers:
    async def test_the_last_operation_on_a_key_wins(self, probe):
        now = utcnow()
        async with unit_of_work(probe.sessionmaker) as session:
            timers.schedule(session, kind="probe.fire", key="kept", due_at=now, payload={"v": 1})
            timers.schedule(session, kind="probe.fire", key="moved", due_at=now, payload={"v": 1})
            timers.schedule(session, kind="probe.fire", key="gone", due_at=now)
        async with unit_of_work(probe.sessionmaker) as session:
            timers.schedule(session, kind="probe.fire", key="moved", due_at=now, payload={"v": 2})
            timers.schedule(
                session, kind="probe.fire", key="kept", due_at=now, payload={"v": 2}, keep_existing=True
            )
            timers.schedule(session, kind="probe.fire", key="gone", due_at=now, payload={"v": 2})
            timers.cancel(session, "gone")
            timers.cancel(session, "back")
            timers.schedule(
                session, kind="probe.fire", key="back", due_at=now, payload={"v": 3}, keep_existing=True
            )
        async with probe.sessionmaker() as session:
            rows = dict((await session.execute(text("SELECT key, payload->>'v' FROM probe.timer"))).all())
        assert rows == {"kept": "1", "moved": "2", "back": "3"}


class TestHooks:
    async def test_after_commit_runs_only_after_a_commit(self, probe):
        ran: list[str] = []
        async with unit_of_work(probe.sessionmaker) as session:
            uow.after_commit(session, lambda: ran.append("commit"))
            uow.after_rollback(session, lambda: ran.append("rollback"))
            assert ran == []
        assert ran == ["commit"]
        ran.clear()
        with pytest.raises(Boom):
            async with unit_of_work(probe.sessionmaker) as session:
                uow.after_commit(session, lambda: ran.append("commit"))
                uow.after_rollback(session, lambda: ran.append("rollback"))
                raise Boom
        assert ran == ["rollback"]

    async def test_a_failed_commit_runs_the_rollback_hooks(self, probe):
        ran: list[str] = []
        with pytest.raises(IntegrityError):
            async with unit_of_work(probe.sessionmaker) as session:
                uow.add(session, Child(parent_id=uuid.uuid4()))  # fails when it is written, at the commit
                uow.after_commit(session, lambda: ran.append("commit"))
                uow.after_rollback(session, lambda: ran.append("rollback"))
        assert ran == ["rollback"]

    async def test_a_rolled_back_savepoint_undoes_its_block_only(self, probe):
        ran: list[str] = []
        kept, dropped = parent("kept"), parent("dropped")
        async with unit_of_work(probe.sessionmaker) as session:
            uow.add(session, kept)
            uow.after_commit(session, lambda: ran.append("kept"))
            uow.local(session, "n", lambda: [1])
            with pytest.raises(Boom):
                async with uow.savepoint(session):
                    uow.add(session, dropped)
                    uow.after_commit(session, lambda: ran.append("dropped"))
                    uow.after_rollback(session, lambda: ran.append("given back"))
                    uow.local(session, "n", list).append(2)
                    raise Boom
            assert ran == ["given back"] and uow.local(session, "n", list) == [1]
        assert ran == ["given back", "kept"]
        async with probe.sessionmaker() as session:
            names = set((await session.execute(text("SELECT name FROM probe.parent"))).scalars())
        assert names == {"kept"}


class TestCache:
    async def test_a_load_reaches_the_shared_cache_only_after_the_commit(self, probe):
        cache = TTLCache(ttl=60)

        async def load():
            return "loaded"

        with pytest.raises(Boom):
            async with unit_of_work(probe.sessionmaker) as session:
                assert await cache.load(session, "k", load) == "loaded"
                assert cache.read(session, "k") == "loaded"  # the unit sees what it loaded
                raise Boom
        assert cache.get("k", None) is None  # rolled back: the shared cache never saw it
        async with unit_of_work(probe.sessionmaker) as session:
            await cache.load(session, "k", load)
            assert cache.get("k", None) is None
        assert cache.get("k") == "loaded"

    async def test_an_invalidation_waits_for_the_commit_and_is_seen_by_the_unit_at_once(self, probe):
        cache = TTLCache(ttl=60)
        cache.put(("tz", 1), "Asia/Shanghai")
        cache.put(("tz", 2), "Asia/Shanghai")
        with pytest.raises(Boom):
            async with unit_of_work(probe.sessionmaker) as session:
                cache.invalidate(session, ("tz", 1))
                cache.invalidate_where(session, lambda k: k[1] == 2)
                assert cache.read(session, ("tz", 1), None) is None
                assert cache.read(session, ("tz", 2), None) is None
                raise Boom
        assert cache.get(("tz", 1)) == "Asia/Shanghai" and cache.get(("tz", 2)) == "Asia/Shanghai"
        async with unit_of_work(probe.sessionmaker) as session:
            cache.invalidate(session, ("tz", 1))
            cache.invalidate_where(session, lambda k: k[1] == 2)
            assert cache.get(("tz", 1)) == "Asia/Shanghai"  # others still see the committed value
        assert cache.get(("tz", 1), None) is None and cache.get(("tz", 2), None) is None


class TestNumberBlock:
    async def test_numbers_come_a_block_at_a_time_and_a_rollback_gives_one_back(self, probe):
        async with probe.engine.begin() as conn:
            await conn.execute(text("CREATE SEQUENCE probe.number"))
        block = NumberBlock("probe.number", size=3)
        with pytest.raises(Boom):
            async with unit_of_work(probe.sessionmaker) as session:
                assert await block.next(session) == 1
                raise Boom
        async with unit_of_work(probe.sessionmaker) as session:
            numbers = [await block.next(session) for _ in range(4)]
        assert numbers == [1, 2, 3, 4]  # the rolled-back report's number was used by the next one
        async with probe.sessionmaker() as session:
            # two blocks were taken: the next number from the sequence itself is after both
            assert (await session.execute(text("SELECT nextval('probe.number')"))).scalar() == 7
