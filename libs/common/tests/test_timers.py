"""Durable timers: fire once, survive a restart, replica-safe, cancel and move, retry then dead-letter."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import pytest
from sqlalchemy import text

from propdesk.common import timers
from propdesk.common.testing.helpers import wait_until
from propdesk.common.testing.probe import Probe
from propdesk.common.timeutil import utcnow
from propdesk.common.uow import unit_of_work


@pytest.fixture
async def probe(platform_env):
    p = Probe(platform_env.database_url, platform_env.nats_url, platform_env.namespace)
    await p.install()
    async with p.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE probe.fired (n serial, key text, payload jsonb)"))
    yield p
    await p.close()


async def fired_rows(probe) -> list[tuple[str, dict]]:
    async with probe.sessionmaker() as s:
        return [
            (r.key, r.payload)
            for r in (await s.execute(text("SELECT key, payload FROM probe.fired ORDER BY n")))
        ]


def worker(probe, handler=None, **kw) -> timers.TimerWorker:
    async def record_fire(session, timer):
        await session.execute(
            text("INSERT INTO probe.fired (key, payload) VALUES (:k, CAST(:p AS jsonb))"),
            {"k": timer.key, "p": __import__("json").dumps(timer.payload)},
        )

    return timers.TimerWorker(
        service="probe",
        handlers={"probe.fire": handler or record_fire},
        sessionmaker=probe.sessionmaker,
        tables=probe.tables,
        poll_seconds=0.1,
        **kw,
    )


async def schedule(probe, key, *, seconds: float, payload=None):
    async with unit_of_work(probe.sessionmaker) as s:
        timers.schedule(
            s,
            kind="probe.fire",
            key=key,
            due_at=utcnow() + dt.timedelta(seconds=seconds),
            payload=payload or {"key": key},
        )


@contextlib.asynccontextmanager
async def running(*workers):
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        yield
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class TestTimers:
    async def test_due_timer_fires_once_and_future_one_waits(self, probe):
        await schedule(probe, "due", seconds=-1)
        await schedule(probe, "later", seconds=3600)
        w = worker(probe)
        assert await w.fire_due() == 1
        assert await w.fire_due() == 0
        assert [k for k, _ in await fired_rows(probe)] == ["due"]

    async def test_timer_survives_a_restart_of_the_worker(self, probe):
        await schedule(probe, "sla", seconds=0.5)
        async with running(worker(probe)):
            pass  # the first worker stops before the timer is due
        assert await fired_rows(probe) == []
        async with running(worker(probe)):
            await wait_until(lambda: fired_rows(probe), message="the timer to fire after restart")
        assert [k for k, _ in await fired_rows(probe)] == ["sla"]

    async def test_two_workers_fire_each_timer_exactly_once(self, probe):
        for i in range(200):
            await schedule(probe, f"t{i}", seconds=0.2)
        a, b = worker(probe, batch=10), worker(probe, batch=10)
        async with running(a, b):
            await wait_until(lambda: _count(probe, 200), timeout=30, message="200 timers")
        rows = await fired_rows(probe)
        assert len(rows) == 200 and len({k for k, _ in rows}) == 200
        assert a.fired > 0 and b.fired > 0

    async def test_cancel_and_reschedule_by_key(self, probe):
        await schedule(probe, "moved", seconds=3600, payload={"v": 1})
        await schedule(probe, "moved", seconds=-1, payload={"v": 2})  # same key: moved, not duplicated
        await schedule(probe, "cancelled", seconds=-1)
        async with unit_of_work(probe.sessionmaker) as s:
            timers.cancel(s, "cancelled")
        assert await worker(probe).fire_due() == 1
        assert await fired_rows(probe) == [("moved", {"v": 2})]

    async def test_failing_timer_retries_with_backoff_then_dead_letters(self, probe):
        calls = []

        async def broken(session, timer):
            calls.append(timer.attempts)
            raise RuntimeError("escalation target unknown")

        await schedule(probe, "broken", seconds=-1)
        w = worker(probe, handler=broken, max_attempts=2)
        assert await w.fire_due() == 0
        async with probe.sessionmaker() as s:
            row = (await s.execute(text("SELECT attempts, due_at, last_error FROM probe.timer"))).one()
        assert row.attempts == 1 and row.due_at > utcnow() and "escalation target unknown" in row.last_error
        async with probe.engine.begin() as conn:  # make the retry due now instead of waiting for backoff
            await conn.execute(text("UPDATE probe.timer SET due_at = now() - interval '1 second'"))
        assert await w.fire_due() == 0
        async with probe.sessionmaker() as s:
            assert (await s.execute(text("SELECT count(*) FROM probe.timer"))).scalar() == 0
            dl = (await s.execute(text("SELECT source, subject, attempts FROM probe.dead_letter"))).one()
        assert (dl.source, dl.subject, dl.attempts) == ("timer", "timer:probe.fire", 2)
        assert calls == [0, 1]

    async def test_naive_due_time_is_refused(self, probe):
        with pytest.raises(ValueError):
            async with unit_of_work(probe.sessionmaker) as s:
                timers.schedule(s, kind="probe.fire", due_at=dt.datetime(2026, 1, 1))


async def _count(probe, n):
    return len(await fired_rows(probe)) >= n


class TestRescheduleFromHandler:
    async def test_a_handler_that_moves_its_own_timer_keeps_it(self, probe):
        fired = []

        async def recurring(session, timer):
            fired.append(timer.payload["n"])
            if timer.payload["n"] < 3:  # e.g. a retry with backoff, or a deadline that repeats
                timers.schedule(
                    session,
                    kind="probe.fire",
                    key=timer.key,
                    payload={"n": timer.payload["n"] + 1},
                    due_at=utcnow() - dt.timedelta(seconds=1),
                )

        await schedule(probe, "again", seconds=-1, payload={"n": 1})
        w = worker(probe, handler=recurring)
        for _ in range(5):
            await w.fire_due()
        assert fired == [1, 2, 3]
        async with probe.sessionmaker() as s:
            assert (await s.execute(text("SELECT count(*) FROM probe.timer"))).scalar() == 0


async def test_schedule_many_beyond_the_parameter_limit(probe):
    items = [
        {
            "kind": "probe.fire",
            "key": f"bulk-{i}",
            "due_at": utcnow() + dt.timedelta(hours=1),
            "payload": {"i": i},
        }
        for i in range(12_000)
    ]
    async with unit_of_work(probe.sessionmaker) as s:
        timers.schedule_many(s, items)
    async with probe.sessionmaker() as s:
        assert (await s.execute(text("SELECT count(*) FROM probe.timer"))).scalar() == 12_000


async def test_wake_ups_announce_when_timers_are_due(probe):
    """The timer trigger (platform v2) NOTIFYs the earliest due time of the statement's timers. The worker
    looks again only for a sooner one: a timer due in an hour does not cost a query, one due now fires
    without waiting for the poll (here an hour, so only the wake-up can have fired it)."""
    from propdesk.common.notifier import Notifier

    notifier = Notifier(probe.database_url, [probe.tables.timer_channel])
    await notifier.start()
    w = worker(probe, notifier=notifier)
    w.poll_seconds = 3600.0
    looks = 0
    next_due = w._next_due

    async def counted():
        nonlocal looks
        looks += 1
        return await next_due()

    w._next_due = counted
    taken = []
    take_due = notifier.take_due

    def counted_take(channel):
        due = take_due(channel)
        if due is not None:
            taken.append(due)
        return due

    notifier.take_due = counted_take
    try:
        async with running(w):
            await wait_until(lambda: looks >= 1, message="the worker's first look")
            later = utcnow() + dt.timedelta(hours=1)
            await schedule(probe, "later", seconds=3600)
            # the announcement arrives and is compared with what the worker knows (nothing yet: it waits
            # for the hour-long poll), so it only moves the deadline: no second look
            await wait_until(lambda: taken, message="the worker to take the wake-up")
            assert abs(taken[0] - later.timestamp()) < 60  # it announced the hour-later due time
            assert looks == 1
            await schedule(probe, "soon", seconds=0.2)
            await wait_until(lambda: _count(probe, 1), message="the sooner timer to fire on its wake-up")
            assert [k for k, _ in await fired_rows(probe)] == ["soon"]
            assert looks >= 2
            assert later > utcnow()  # the hour-long timer is still waiting
    finally:
        await notifier.close()


async def test_a_service_wakes_its_own_workers_without_notify(probe):
    """A service's own connections (local wake-ups, platform v3) do not NOTIFY: its unit of work wakes its
    workers in process after the commit. Writes from other connections still NOTIFY. Notifications arrive
    in commit order, so a sentinel NOTIFY committed after the local write shows that none came from it."""
    from propdesk.common.db import create_engine, create_sessionmaker
    from propdesk.common.notifier import Notifier

    channel = probe.tables.timer_channel
    listener = Notifier(probe.database_url, [channel])
    await listener.start()
    own = Notifier(probe.database_url, [channel])  # the service's, never started: pokes only
    engine = create_engine(probe.database_url, pool_size=2, local_wakeups=True)
    sessionmaker = create_sessionmaker(engine, probe.tables, notifier=own)
    heard: list[str] = []
    await listener._conn.add_listener(channel, lambda *args: heard.append(args[3]))
    try:
        due = utcnow() + dt.timedelta(hours=2)
        async with unit_of_work(sessionmaker) as s:
            timers.schedule(s, kind="probe.fire", key="local", due_at=due, payload={})
        assert own.take_due(channel) == pytest.approx(due.timestamp())  # woken after the commit
        await schedule(probe, "sentinel", seconds=3 * 3600)  # the probe's engine: a plain connection
        await wait_until(lambda: heard, message="the sentinel's NOTIFY")
        sentinel = (utcnow() + dt.timedelta(hours=3)).timestamp()
        assert len(heard) == 1 and abs(float(heard[0]) - sentinel) < 60  # and nothing before it
    finally:
        await listener.close()
        await engine.dispose()
