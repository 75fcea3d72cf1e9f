"""The backbone's guarantees, proven against real PostgreSQL and NATS JetStream:
nothing lost, nothing twice, whatever crashes and wherever."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys

import pytest
from nats.js.errors import NotFoundError
from sqlalchemy import text

from propdesk.common.consumer import replay_dead_letter
from propdesk.common.embedded import EmbeddedNats, free_port
from propdesk.common.errors import Conflict
from propdesk.common.events import stream_name
from propdesk.common.testing.helpers import wait_until
from propdesk.common.testing.probe import POISON, Probe
from propdesk.common.uow import unit_of_work


@pytest.fixture
async def probe(platform_env):
    p = Probe(platform_env.database_url, platform_env.nats_url, platform_env.namespace)
    await p.install()
    yield p
    await p.close()


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


async def stream_count(js, namespace: str) -> int:
    try:
        return (await js.stream_info(stream_name("intake", namespace))).state.messages
    except NotFoundError:
        return 0


def spawn(role: str, probe: Probe, fault: str | None = None) -> subprocess.Popen:
    env = {
        **os.environ,
        "PROBE_DATABASE_URL": probe.database_url,
        "PROBE_NATS_URL": probe.nats_url,
        "PROBE_NAMESPACE": probe.namespace,
    }
    env.pop("PROPDESK_FAULT", None)
    if fault:
        env["PROPDESK_FAULT"] = fault
    return subprocess.Popen([sys.executable, "-m", "propdesk.common.testing.probe", role], env=env)


async def wait_exit(proc: subprocess.Popen, timeout: float = 30) -> int:
    return await wait_until(
        lambda: proc.poll() is not None and (proc.returncode or "0"),
        timeout=timeout,
        message="the worker process to exit",
    )


class TestOutbox:
    async def test_event_in_rolled_back_transaction_is_never_published(self, probe):
        nc, js = await probe.js()
        with pytest.raises(RuntimeError):
            async with unit_of_work(probe.sessionmaker) as session:
                from propdesk.common import outbox
                from propdesk.common.contracts.intake import EstateRegistered

                outbox.record(
                    session,
                    EstateRegistered(estate_id=__import__("uuid").uuid4(), code="RB", name="rolled back"),
                    aggregate_id="a",
                )
                raise RuntimeError("the change fails after the event was recorded")
        committed = await probe.record(1)
        relay = probe.relay(js)
        assert await relay.relay_once() == 1  # only the committed event
        assert await relay.relay_once() == 0
        assert await stream_count(js, probe.namespace) == 1
        msg = await js.get_last_msg(
            stream_name("intake", probe.namespace), f"{probe.namespace}.intake.estate.registered"
        )
        assert msg.headers["Nats-Msg-Id"] == str(committed[0])
        await nc.close()

    async def test_relay_publishes_in_order_per_aggregate(self, probe):
        nc, js = await probe.js()
        for batch in range(4):
            for aggregate in ("a", "b", "c"):
                await probe.record(5, aggregate=aggregate, code=f"{batch}-")
        async with running(probe.relay(js, batch=7), probe.consumer(js)):
            await wait_until(lambda: _done(probe, 60), message="60 effects")
        async with probe.sessionmaker() as s:
            rows = (
                await s.execute(text("SELECT aggregate_id, occurred_at FROM probe.effect ORDER BY n"))
            ).all()
        for aggregate in ("a", "b", "c"):
            times = [r.occurred_at for r in rows if r.aggregate_id == aggregate]
            assert times == sorted(times) and len(times) == 20
        await nc.close()


async def _done(probe: Probe, n: int) -> bool:
    rows, _ = await probe.effects()
    return rows >= n


class TestCrashes:
    async def test_relay_killed_between_publish_and_mark_causes_no_duplicate_effect(self, probe):
        nc, js = await probe.js()
        await probe.record(3)
        proc = spawn("relay", probe, fault="relay.after_publish")
        assert await wait_exit(proc) == -signal.SIGKILL
        assert await probe.unpublished() == 3  # published, but never marked: the crash window
        assert await stream_count(js, probe.namespace) == 3
        async with running(probe.relay(js), probe.consumer(js)):
            await wait_until(lambda: _done(probe, 3), message="3 effects")
            await wait_until(lambda: _zero(probe.unpublished), message="outbox drained")
        assert (
            await stream_count(js, probe.namespace) == 3
        )  # re-published with the same Nats-Msg-Id: deduplicated
        assert await probe.effects() == (3, 3)
        await nc.close()

    @pytest.mark.parametrize("fault", ["consumer.before_commit", "consumer.after_commit"])
    async def test_consumer_crash_mid_batch_applies_each_event_once(self, probe, fault):
        nc, js = await probe.js()
        await probe.record(10)
        async with running(probe.relay(js)):
            await wait_until(lambda: _zero(probe.unpublished), message="outbox drained")
        proc = spawn("consumer", probe, fault=fault)
        assert await wait_exit(proc) == -signal.SIGKILL
        expected_after_crash = (0, 0) if fault == "consumer.before_commit" else (10, 10)
        assert await probe.effects() == expected_after_crash
        consumer = probe.consumer(js)
        async with running(consumer):
            await wait_until(lambda: _done(probe, 10), message="10 effects")
            await wait_until(lambda: _zero(consumer.lag), message="everything acked", timeout=20)
        assert await probe.effects() == (10, 10)
        if fault == "consumer.after_commit":
            assert consumer.stats.duplicates == 10  # redelivered, recognised by the inbox, not applied again
        await nc.close()

    async def test_nats_restart_in_the_middle_of_1000_events_loses_none(self, probe, tmp_path):
        own = EmbeddedNats(tmp_path / "nats", port=free_port(), sync_always=True)
        probe.nats_url = own.start()
        try:
            nc, js = await probe.js()
            consumer = probe.consumer(js)
            await consumer.ensure()
            async with running(probe.relay(js, batch=50), consumer):
                for _ in range(10):
                    await probe.record(50)
                await wait_until(lambda: _done(probe, 100), message="the first effects")
                own.stop(kill=True)  # SIGKILL: acknowledged writes must survive (sync_interval: always)
                for _ in range(10):
                    await probe.record(50)
                own.start()
                await wait_until(lambda: _done(probe, 1000), timeout=90, message="all 1000 effects")
                await wait_until(lambda: _zero(probe.unpublished), message="outbox drained")
            assert await probe.effects() == (1000, 1000)
            await nc.close()
        finally:
            own.stop()


async def _zero(fn) -> bool:
    return await fn() == 0


class TestDeadLetters:
    async def test_poison_event_is_dead_lettered_then_replayed_once(self, probe):
        nc, js = await probe.js()
        await probe.record(1, code=POISON)
        await probe.record(4)
        consumer = probe.consumer(js, max_deliver=3)
        async with running(probe.relay(js), consumer):
            await wait_until(lambda: _done(probe, 4), message="the healthy events")
            await wait_until(lambda: _dead(probe, 1), message="the poison event in dead letters")
        async with probe.sessionmaker() as s:
            dl = (await s.execute(text("SELECT id, attempts, error FROM probe.dead_letter"))).one()
        assert dl.attempts == 3 and "cannot handle POISON0" in dl.error
        assert await probe.effects() == (4, 4)  # the poison event did not block the others

        probe.poison_fixed = True  # the bug is fixed; replay the dead letter
        result = await replay_dead_letter(
            dead_letter_id=dl.id, consumers=[consumer], sessionmaker=probe.sessionmaker, tables=probe.tables
        )
        assert result["applied"] is True
        assert await probe.effects() == (5, 5)
        with pytest.raises(Conflict):
            await replay_dead_letter(
                dead_letter_id=dl.id,
                consumers=[consumer],
                sessionmaker=probe.sessionmaker,
                tables=probe.tables,
            )
        assert await probe.effects() == (5, 5)
        await nc.close()


async def _dead(probe: Probe, n: int) -> bool:
    async with probe.sessionmaker() as s:
        return (await s.execute(text("SELECT count(*) FROM probe.dead_letter"))).scalar() >= n


class TestReplicas:
    async def test_two_relays_and_two_consumers_apply_each_event_exactly_once(self, probe):
        nc, js = await probe.js()
        nc2, js2 = await probe.js()
        c1, c2 = probe.consumer(js, batch=20), probe.consumer(js2, batch=20)
        await c1.ensure()
        await c2.ensure()
        async with running(probe.relay(js, batch=40), probe.relay(js2, batch=40), c1, c2):
            await asyncio.gather(*(probe.record(50) for _ in range(10)))
            await wait_until(lambda: _done(probe, 500), timeout=60, message="500 effects")
            await wait_until(lambda: _zero(probe.unpublished), message="outbox drained")
        assert await probe.effects() == (500, 500)
        assert await stream_count(js, probe.namespace) == 500
        assert c1.stats.handled > 0 and c2.stats.handled > 0, "both replicas took part"
        await nc.close()
        await nc2.close()
